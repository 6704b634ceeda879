export * from './events';
export { parseEvents, readEvents, type ParsedEvents } from './reader';
