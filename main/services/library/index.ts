export { Library, type LibraryLocation } from './library';
export type {
  AddImageResult,
  AddComparisonResult,
  NewComparison,
  LibraryStats,
  ComparisonFilter,
} from './library';
export type { AssignmentOptions, AnnotatorProgress } from './judgments';
export type { CreatedAnnotator } from './annotators';
export { ImageDecodeError, THUMB_SIZE } from './imageStore';
export { SCHEMA_VERSION, currentVersion, migrate } from './schema';
export { PostgresDatabase } from './sql/postgres';
export { SqliteDatabase } from './sql/sqlite';
export { ConstraintViolation, type SqlDatabase, type Dialect } from './sql/database';
export { copyLibrary, tableChecksum, type TableCopy } from './copy';
export * from './types';
export type { ImportReport, ImportIssue, ImportProgress, ImportOptions } from './import/common';
export { importFolder, type FolderImportOptions } from './import/folder';
export { importHpd, type HpdImportOptions } from './import/hpd';
export { importPickapic } from './import/pickapic';
export { importPairs } from './import/pairs';
export { ImportSourceError, resolveImportSource, type ImportSource } from './import/sources';
export type { ExportReport } from './export/common';
export { exportPairs, type PairsExportOptions } from './export/pairs';
export { exportHpdV2, type HpdExportOptions } from './export/hpd';
export { exportPickapic } from './export/pickapic';
export { exportScoresCsv } from './export/scores';
