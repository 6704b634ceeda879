/**
 * The config tree: every section, key, default, type, allowed value and description. Single source
 * of truth for `Config`, `defaultConfig()`, the loader's checks, `dumpConfig`, the JSON Schema and
 * docs/config.md. Mirrors `defaults.py` of hysts/pytorch_image_classification; the differences are
 * marked with `note`.
 */
import {
  bool,
  float,
  floats,
  int,
  ints,
  section,
  str,
  type ConfigNodeSpec,
  type ConfigOf,
  type LeafEntry,
  type LeafSpec,
  type SectionEntry,
  type SectionSpec,
} from './spec';
import { DATASET_NAMES } from '../data/dataset_info';
import { MODEL_TYPES, addFamily, familyNames, familySections, removeFamily, type FamilyDeclaration } from './families';

/** Values of `device`. */
export const DEVICES = ['auto', 'cuda', 'gpu', 'cpu', 'wasm', 'js', 'libtorch'] as const;
/** Values of `model.init_mode`. */
export const INIT_MODES = ['kaiming_fan_out', 'kaiming_fan_in'] as const;
/** Values of `train.precision` (apex opt levels). */
export const PRECISIONS = ['O0', 'O1', 'O2', 'O3'] as const;
/** Values of `train.optimizer`. */
export const OPTIMIZERS = ['sgd', 'adam', 'amsgrad', 'adabound', 'adaboundw', 'lars'] as const;
/** Values of `train.dist.backend`. */
export const DIST_BACKENDS = ['nccl', 'gloo', 'mpi'] as const;
/** Values of `scheduler.type`. */
export const SCHEDULER_TYPES = ['constant', 'multistep', 'linear', 'cosine', 'sgdr'] as const;
/** Values of `scheduler.warmup.type`. */
export const WARMUP_TYPES = ['none', 'linear', 'exponential'] as const;
/** Values of `augmentation.random_crop.padding_mode`. */
export const PADDING_MODES = ['constant', 'edge', 'reflect', 'symmetric'] as const;

const nonNeg = { minimum: 0 };
const positive = { minimum: 1 };
const probability = { minimum: 0, maximum: 1 };

const NO_PINNED = 'has no effect: batches are built in host memory and handed to the engine, with no pinned memory or asynchronous copy (CUDA DataLoader options in the original)';

const dataloader = (workers: number, dropLast: boolean, what: string) =>
  section(`${what} data loader`, {
    num_workers: int(workers, 'Background loader workers (PyTorch DataLoader num_workers)', nonNeg),
    drop_last: bool(dropLast, 'Drop the last incomplete batch'),
    pin_memory: bool(false, 'Pin host memory for faster GPU copies (CUDA only in the original)', { compat: NO_PINNED }),
    non_blocking: bool(false, 'Asynchronous host-to-device copies (CUDA only in the original)', { compat: NO_PINNED }),
  });

const model = section('Network architecture', {
  type: str('cifar', "Model family: 'cifar' (small-input stems) or 'imagenet' (7x7/2 stem + max-pool); also selects the transforms", { allowed: MODEL_TYPES }),
  name: str('resnet_preact', 'Architecture; its settings are in the section of the same name', { allowed: familyNames() }),
  init_mode: str('kaiming_fan_out', 'He (Kaiming) normal initialisation of conv weights: fan_out or fan_in', { allowed: INIT_MODES, arxiv: '1502.01852' }),
  ...familySections(),
});

const train = section('Training', {
  checkpoint: str('', 'Checkpoint whose model weights initialise training (ignored when resuming)'),
  resume: bool(false, 'Continue the run in output_dir from its last checkpoint (set by --resume RUN_DIR)'),
  use_apex: bool(true, 'Use NVIDIA apex for mixed precision (original only; see precision)', {
    compat: 'has no effect: there is no NVIDIA apex here; training is float32 (train.precision O0) either way',
  }),
  precision: str('O0', 'Precision level: O0 fp32, O1 mixed, O2 almost fp16, O3 fp16 (apex opt levels)', { allowed: PRECISIONS }),
  batch_size: int(128, 'Training batch size (per process)', positive),
  subdivision: int(1, 'Split each batch into this many chunks (ghost batch norm, gradient accumulation); must divide batch_size', { ...positive, arxiv: '1705.08741' }),
  optimizer: str('sgd', 'Optimizer', { allowed: OPTIMIZERS }),
  base_lr: float(0.1, 'Base learning rate', nonNeg),
  momentum: float(0.9, 'Momentum (sgd, lars)', nonNeg),
  nesterov: bool(true, 'Nesterov momentum (sgd)'),
  weight_decay: float(1e-4, 'L2 weight decay', nonNeg),
  no_weight_decay_on_bn: bool(false, 'Exclude parameters from weight decay (the original decays only tensors named *conv.weight)'),
  gradient_clip: float(0.0, 'Maximum global gradient norm; 0 disables clipping', { ...nonNeg, note: 'The original default is the int 0; here it is a float.' }),
  start_epoch: int(0, 'First epoch of the loop (epochs before it are skipped)', nonNeg),
  seed: int(0, 'Random seed', nonNeg),
  val_first: bool(true, 'Validate once before training (epoch 0)'),
  val_period: int(1, 'Epochs between validations; 0 disables validation', nonNeg),
  val_ratio: float(0.0, "Fraction of the training set held out for validation (eval transforms) when use_test_as_val is false: floor(n*val_ratio) images of the (first max_train_samples) training files, drawn as the original's random_split does (PyTorch's own randperm after manual_seed(train.seed), reproduced exactly); the rest is trained on. evaluate still uses the test split", { minimum: 0, exclusiveMaximum: 1 }),
  use_test_as_val: bool(true, 'Use the official test split as validation set'),
  output_dir: str('experiments/exp00', 'Run folder (config, checkpoints, event log)'),
  log_period: int(100, 'Steps between running training logs', positive),
  checkpoint_period: int(10, 'Epochs between kept checkpoints; the final epoch\'s is always kept (also when the run is later extended), and the newest epoch in between is kept as a resume point until the next checkpoint', positive),
  use_tensorboard: bool(true, 'Write TensorBoard event files (run folder and running/), as the original'),
  dataloader: dataloader(2, true, 'Training'),
  distributed: bool(false, 'Data-parallel training over several processes'),
  dist: section('Distributed training', {
    backend: str('nccl', 'Process-group backend', { allowed: DIST_BACKENDS }),
    init_method: str('env://', 'Process-group init method URL'),
    world_size: int(-1, 'Number of processes (-1: from the environment)', { minimum: -1 }),
    node_rank: int(-1, 'Rank of this process (-1: from the environment)', { minimum: -1 }),
    local_rank: int(0, 'Local rank (set by --local_rank)', {
      ...nonNeg,
      compat: 'has no effect: each worker takes its local rank from its launcher (LOCAL_RANK, ICL_LOCAL_RANK or SLURM_LOCALID), as torchrun does',
    }),
    use_sync_bn: bool(false, 'Synchronised batch norm (PyTorch SyncBatchNorm): with train.distributed, every BN layer normalises with the mean and variance of the global batch of all workers, in the forward and backward pass'),
  }),
});

const optim = section('Optimizer settings', {
  adam: section('Adam and AMSGrad', {
    betas: floats([0.9, 0.999], 'Coefficients of the running averages of the gradient and its square', { lengths: [2], minimum: 0, exclusiveMaximum: 1, tuple: true }),
  }, '1412.6980'),
  lars: section('LARS (layer-wise adaptive rate scaling)', {
    eps: float(1e-9, 'Added to the denominator of the local learning rate', nonNeg),
    threshold: float(1e-2, 'Weight-norm threshold below which the local learning rate is 1', nonNeg),
  }, '1708.03888'),
  adabound: section('AdaBound and AdaBoundW', {
    betas: floats([0.9, 0.999], 'Coefficients of the running averages of the gradient and its square', { lengths: [2], minimum: 0, exclusiveMaximum: 1, tuple: true }),
    final_lr: float(0.1, 'Final (SGD) learning rate the bounds converge to, scaled by lr/base_lr', nonNeg),
    gamma: float(1e-3, 'Convergence speed of the bound functions', nonNeg),
  }, '1902.09843'),
});

const scheduler = section('Learning-rate schedule (applied per iteration)', {
  epochs: int(160, 'Total training epochs, warm-up included', positive),
  warmup: section('Learning-rate warm-up', {
    type: str('none', 'Warm-up shape', { allowed: WARMUP_TYPES }),
    epochs: int(0, 'Warm-up epochs; 0 disables warm-up', nonNeg),
    start_factor: float(1e-3, 'Learning-rate factor at the start of warm-up', nonNeg),
    exponent: int(4, 'Exponent of the exponential warm-up', positive),
  }, '1706.02677'),
  type: str('multistep', 'Main schedule after warm-up', { allowed: SCHEDULER_TYPES }),
  milestones: ints([80, 120], 'multistep: epochs (counted after warm-up) at which the lr is multiplied by lr_decay', nonNeg),
  lr_decay: float(0.1, 'multistep: decay factor at each milestone', nonNeg),
  lr_min_factor: float(0.001, 'linear / cosine / sgdr: final learning rate as a fraction of base_lr', nonNeg),
  T0: int(10, 'sgdr: length of the first cycle in epochs', { ...positive, arxiv: '1608.03983' }),
  T_mul: float(1.0, 'sgdr: cycle length multiplier (cycles T0, int(T0*T_mul), ... must sum to the main epochs)', { minimum: 1, arxiv: '1608.03983' }),
});

const augmentation = section('Training-time data augmentation', {
  use_random_crop: bool(true, 'Random crop (cifar: pad then crop; imagenet: random resized crop, else center crop)'),
  use_random_horizontal_flip: bool(true, 'Random horizontal flip'),
  use_cutout: bool(false, 'Cutout: mask a random square', { arxiv: '1708.04552' }),
  use_random_erasing: bool(false, 'Random erasing: fill a random rectangle', { arxiv: '1708.04896' }),
  use_dual_cutout: bool(false, 'Dual cutout: two cutouts of each image with a consistency loss', { arxiv: '1802.07426' }),
  use_mixup: bool(false, 'Mixup of image pairs (batch level; priority mixup > ricap > cutmix)', { arxiv: '1710.09412' }),
  use_ricap: bool(false, 'RICAP: random image cropping and patching of four images (batch level)', { arxiv: '1811.09030' }),
  use_cutmix: bool(false, 'CutMix: paste a box from another image (batch level)', { arxiv: '1905.04899' }),
  use_label_smoothing: bool(false, 'Label smoothing of the cross-entropy targets', { arxiv: '1512.00567' }),
  random_crop: section('Random crop (cifar-type models)', {
    padding: int(4, 'Pixels of padding on each side before cropping', nonNeg),
    fill: int(0, "Pixel value of constant padding", { minimum: 0, maximum: 255 }),
    padding_mode: str('constant', 'How the padding is filled', { allowed: PADDING_MODES }),
  }),
  random_horizontal_flip: section('Random horizontal flip', {
    prob: float(0.5, 'Probability of flipping an image', probability),
  }),
  cutout: section('Cutout (also used by dual cutout)', {
    prob: float(1.0, 'Probability of applying cutout to an image', probability),
    mask_size: int(16, 'Side of the square mask in pixels', positive),
    cut_inside: bool(false, 'Keep the mask centre far enough from the border that the whole mask is inside'),
    mask_color: int(0, 'Fill value in normalised space (0 = the dataset mean)'),
    dual_cutout_alpha: float(0.1, 'Weight of the dual-cutout consistency (MSE) loss', { ...nonNeg, arxiv: '1802.07426' }),
  }, '1708.04552'),
  random_erasing: section('Random erasing', {
    prob: float(0.5, 'Probability of erasing a rectangle in an image', probability),
    area_ratio_range: floats([0.02, 0.4], 'Range of the erased area as a fraction of the image', { lengths: [2], ...probability }),
    min_aspect_ratio: float(0.3, 'Smallest aspect ratio of the rectangle (the largest is its inverse)', { minimum: 0 }),
    max_attempt: int(20, 'Tries to find a rectangle that fits', positive),
  }, '1708.04896'),
  mixup: section('Mixup', {
    alpha: float(1.0, 'Mixing weights are drawn from Beta(alpha, alpha)', nonNeg),
  }, '1710.09412'),
  ricap: section('RICAP', {
    beta: float(0.3, 'Patch boundaries are drawn from Beta(beta, beta)', nonNeg),
  }, '1811.09030'),
  cutmix: section('CutMix', {
    alpha: float(1.0, 'Area ratios are drawn from Beta(alpha, alpha)', nonNeg),
  }, '1905.04899'),
  label_smoothing: section('Label smoothing', {
    epsilon: float(0.1, 'Probability mass spread uniformly over all classes', probability),
  }, '1512.00567'),
});

/** The whole config tree (root section). */
export const CONFIG_TREE = section('Image Classification Lab config', {
  device: str('auto', 'Compute backend: auto = fastest that loads (tfjs-node-gpu on a GPU, libtorch on CUDA, libtorch, tfjs-node, wasm); cuda/gpu = tfjs-node-gpu, else libtorch on CUDA; cpu = best CPU engine (libtorch, tfjs-node, wasm); libtorch = the libtorch (ATen) engine, built by npm run build:libtorch; wasm; js = pure-JS reference (very slow)', {
    allowed: DEVICES,
    note: "The original accepts 'cuda' (default) or 'cpu'.",
  }),
  num_threads: int(0, 'Threads of the compute backend; 0 = automatic', { ...nonNeg, note: 'New key (not in the original).' }),
  cudnn: section('cuDNN flags (original, CUDA only)', {
    benchmark: bool(true, 'Let cuDNN pick the fastest algorithms'),
    deterministic: bool(false, 'Ask cuDNN for deterministic algorithms'),
  }),
  dataset: section('Dataset', {
    name: str('CIFAR10', 'Dataset; ImageFolder (or ImageNet) = any folder-per-class PNG/JPEG dataset with train/ and val/ in dataset_dir', {
      allowed: DATASET_NAMES,
      note: 'ImageFolder is new (the original reads folder datasets only as ImageNet).',
    }),
    dataset_dir: str('', "Dataset folder; '' = search the well-known places", {
      note: 'The original forces ~/.torch/datasets/... for built-in datasets; here it is never forced.',
    }),
    download: bool(true, "Download a built-in dataset (torchvision's archives, MD5-checked) when it is not found", {
      note: "New key: the original always calls torchvision with download=True. --no-download sets it False.",
    }),
    image_size: int(32, 'Input side in pixels (forced: 32 for CIFAR, 28 for the MNIST family)', positive),
    n_channels: int(3, 'Input channels (forced: 3 for CIFAR, 1 for the MNIST family)', positive),
    n_classes: int(10, 'Number of classes (forced: 10, or 100 for CIFAR100)', positive),
    max_train_samples: int(0, 'Use only the first N training images (file order); 0 = all', { ...nonNeg, note: 'New key (not in the original).' }),
    max_test_samples: int(0, 'Use only the first N test images (file order); 0 = all', { ...nonNeg, note: 'New key (not in the original).' }),
  }),
  model,
  train,
  tensorboard: section('Extra TensorBoard logging', {
    train_images: bool(false, 'Log a grid of the first training batch each epoch'),
    val_images: bool(false, 'Log a grid of the first validation batch at epoch 0'),
    model_params: bool(false, 'Log parameter histograms at each validation'),
  }),
  optim,
  scheduler,
  validation: section('Validation', {
    batch_size: int(256, 'Validation batch size', positive),
    dataloader: dataloader(2, false, 'Validation'),
  }),
  augmentation,
  tta: section('Test-time transforms (imagenet-type models)', {
    use_resize: bool(false, 'Resize the shorter side to tta.resize before cropping'),
    use_center_crop: bool(true, 'Center-crop to dataset.image_size', {
      note: "The original's default is False, with which it can batch only images that already have image_size; here the default is True, what the shipped ImageNet config sets.",
      compat: 'has no effect: the evaluation images of folder datasets are always center-cropped to dataset.image_size (cropping an image that already has that size changes nothing)',
    }),
    resize: int(256, 'Shorter side after resizing', positive),
  }),
  test: section('Evaluation (evaluate CLI)', {
    checkpoint: str('', 'Checkpoint to evaluate'),
    output_dir: str('', 'Folder for the predictions file'),
    batch_size: int(256, 'Test batch size', positive),
    dataloader: section('Test data loader', {
      num_workers: int(2, 'Background loader workers', nonNeg),
      pin_memory: bool(false, 'Pin host memory (CUDA only in the original)', { compat: NO_PINNED }),
    }),
  }),
});

/** The merged configuration: nested fields are exactly the YAML keys (`cfg.train.batch_size`). */
export type Config = ConfigOf<typeof CONFIG_TREE>;

function copyValue<T>(v: T): T {
  return (Array.isArray(v) ? [...v] : v) as T;
}

function defaultsOf(spec: SectionSpec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, child] of Object.entries(spec.children)) {
    out[name] = child.kind === 'leaf' ? copyValue(child.default) : defaultsOf(child);
  }
  return out;
}

/** A fresh deep copy of the default configuration. */
export function defaultConfig(): Config {
  return defaultsOf(CONFIG_TREE) as Config;
}

let leafCache: LeafEntry[] | undefined;
let sectionCache: SectionEntry[] | undefined;

function walk(): void {
  const leaves: LeafEntry[] = [];
  const sections: SectionEntry[] = [];
  const visit = (spec: SectionSpec, path: string, arxiv: string | undefined): void => {
    sections.push(arxiv === undefined ? { path, spec } : { path, spec, arxiv });
    for (const [name, child] of Object.entries(spec.children)) {
      const p = path ? `${path}.${name}` : name;
      if (child.kind === 'leaf') {
        const a = child.arxiv ?? arxiv;
        leaves.push(a === undefined ? { path: p, spec: child } : { path: p, spec: child, arxiv: a });
      } else {
        visit(child, p, child.arxiv ?? arxiv);
      }
    }
  };
  visit(CONFIG_TREE, '', CONFIG_TREE.arxiv);
  leafCache = leaves;
  sectionCache = sections;
}

/** Every leaf of the tree in declaration order, with its dotted path. */
export function configLeaves(): readonly LeafEntry[] {
  if (!leafCache) walk();
  return leafCache as LeafEntry[];
}

/** Every section of the tree in declaration order (the root first, with path `''`). */
export function configSections(): readonly SectionEntry[] {
  if (!sectionCache) walk();
  return sectionCache as SectionEntry[];
}

/** The live `model.name` leaf and `model` children, which {@link registerFamily} extends. */
function syncFamilies(): void {
  (model.children.name as { allowed?: readonly string[] }).allowed = familyNames();
  leafCache = undefined;
  sectionCache = undefined;
}

/**
 * Adds a model family at run time (tests, experiments): its name becomes a value of `model.name`,
 * its section `model.<name>` part of the tree (defaults, checks, schema); `runtime/models`'
 * `registerModelFamily` registers a whole family module (declaration and builders). Built-in families are the
 * modules of `runtime/models/families/` (see `families.ts`).
 * @returns a function that removes the family again
 * @throws Error when the name is taken or is not a lower-case identifier
 */
export function registerFamily(name: string, declaration: FamilyDeclaration): () => void {
  addFamily(name, declaration);
  const children = model.children as Record<string, ConfigNodeSpec>;
  children[name] = declaration.section;
  syncFamilies();
  return () => {
    removeFamily(name);
    delete children[name];
    syncFamilies();
  };
}

/** The node at a dotted path (`''` = the root), or undefined. */
export function findNode(path: string): ConfigNodeSpec | undefined {
  if (path === '') return CONFIG_TREE;
  let node: ConfigNodeSpec = CONFIG_TREE;
  for (const part of path.split('.')) {
    if (node.kind !== 'section' || !Object.prototype.hasOwnProperty.call(node.children, part)) return undefined;
    node = node.children[part];
  }
  return node;
}

/** The leaf at a dotted path with its effective arXiv id, or undefined. */
export function findLeaf(path: string): LeafEntry | undefined {
  return configLeaves().find((l) => l.path === path);
}

/** Reads the value at a dotted path of a config (or of any nested plain object). */
export function getPath(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** Writes the value at a dotted path of a config (the sections must exist). */
export function setPath(obj: unknown, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = obj as Record<string, unknown>;
  for (const part of parts.slice(0, -1)) cur = cur[part] as Record<string, unknown>;
  cur[parts[parts.length - 1]] = value;
}

export type { LeafSpec };
