/**
 * The built-in model families: one line per family module. `config/families.ts` builds the family
 * table from this list (the config reference lists the families in the order of their papers, by
 * arXiv id). Adding a family: write `families/<name>.ts` (see `wrn.ts`; `define.ts` says what it
 * declares) and add its line here. This list loads no TensorFlow.js.
 */
export { default as densenet } from './densenet';
export { default as pyramidnet } from './pyramidnet';
export { default as resnet } from './resnet';
export { default as resnet_preact } from './resnet_preact';
export { default as resnext } from './resnext';
export { default as se_resnet_preact } from './se_resnet_preact';
export { default as shake_shake } from './shake_shake';
export { default as vgg } from './vgg';
export { default as wrn } from './wrn';
