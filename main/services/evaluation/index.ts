export * from './agreement';
export * from './bootstrap';
export * from './bradleyTerry';
export * from './metricAccuracy';
export * from './judgmentStats';
export * from './report';
