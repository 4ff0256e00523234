export * from './catalog';
export * from './download-error';
export * from './downloader';
export * from './store';
