export { ParamRegistry } from './registry';
export { kaimingNormal, type InitMode, type NormalSource } from './init';
export { Conv2d, type Conv2dOptions } from './conv2d';
export { Linear } from './linear';
export { BatchNorm2d, BN_EPS, BN_MOMENTUM } from './batch_norm';
export { traceLayers, recordLayer, type LayerRecord } from './trace';
