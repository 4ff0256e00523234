// The model catalog (models/catalog.json, validated by CatalogSchema), the resumable sha256-checked downloader,
// and ModelStore: which catalog models are on disk under one root folder, and downloading/pausing/cancelling/
// removing/importing them.
export * from './catalog';
export * from './download-error';
export * from './downloader';
export * from './store';
