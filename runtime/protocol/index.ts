export * from './events';
export { parseEvents, readEvents, type ParsedEvents } from './reader';
export * from './run_folder';
export * from './results';
export * from './slurm_jobs';
export * from './slurm_stop';
