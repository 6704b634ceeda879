/**
 * The TensorFlow.js side of the model families: the ops and layer classes a family module builds its
 * network with. `createModel` hands this module to every builder as `ctx.nn` (see {@link BuildContext}),
 * so the family modules (`families/*.ts`, `blocks/*.ts`) import TensorFlow.js and the layers only as
 * types and stay loadable where TensorFlow.js is not (the config, the editor, the submit/queue CLIs).
 * A family that needs another op or layer adds it here.
 */
export { add, concat, mean, pad, relu, reshape, slice, tidy, transpose } from '@tensorflow/tfjs-core';
export {
  AvgPool2d,
  BatchNorm2d,
  Conv2d,
  Dropout,
  GroupedConv2d,
  Linear,
  MaxPool2d,
  ParamRegistry,
  SqueezeExcitation,
  ZeroChannelPad,
  pooledSize,
} from './layers';
export { assembleModel } from './assemble';
export { drawShakeWeights, shakeShake } from './ops/shake_shake';
