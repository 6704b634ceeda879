/**
 * Class names of the built-in datasets, in label order, as their distributors publish them:
 * CIFAR-10's `batches.meta` and CIFAR-100's `meta` (`fine_label_names`, alphabetical), Fashion-MNIST's
 * README (zalandoresearch/fashion-mnist), Kuzushiji-MNIST's `kmnist_classmap.csv` (romanised, with the
 * hiragana; arXiv 1812.01718). MNIST's classes are its digits.
 */
import type { DatasetName } from './dataset_info';

const CIFAR10 = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

const CIFAR100 = (
  'apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly camel can castle '
  + 'caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup dinosaur dolphin elephant flatfish '
  + 'forest fox girl hamster house kangaroo keyboard lamp lawn_mower leopard lion lizard lobster man maple_tree motorcycle '
  + 'mountain mouse mushroom oak_tree orange orchid otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine '
  + 'possum rabbit raccoon ray road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar '
  + 'sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle wardrobe whale willow_tree '
  + 'wolf woman worm'
).split(' ');

const FASHION_MNIST = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

const KMNIST = ['o (お)', 'ki (き)', 'su (す)', 'tsu (つ)', 'na (な)', 'ha (は)', 'ma (ま)', 'ya (や)', 're (れ)', 'wo (を)'];

const MNIST = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/** The class names of each built-in dataset, label i → name i. */
export const CLASS_NAMES: Readonly<Record<DatasetName, readonly string[]>> = {
  CIFAR10,
  CIFAR100,
  MNIST,
  FashionMNIST: FASHION_MNIST,
  KMNIST,
};

/**
 * The names of `nClasses` classes: the dataset's own when it is built in and has that many (a folder
 * dataset passes its sorted folder names as `folders`), else `0`, `1`, … as text.
 */
export function classNames(dataset: string, nClasses: number, folders?: readonly string[]): string[] {
  const known = folders ?? (CLASS_NAMES as Record<string, readonly string[] | undefined>)[dataset];
  if (known && known.length === nClasses) return [...known];
  return Array.from({ length: nClasses }, (_, i) => String(i));
}
