/**
 * Preloaded (`node --import`) by the download tests into a CLI: replaces torchvision's MD5 of each
 * file named in `ICL_TEST_DATASET_MD5` (JSON: file name → MD5) by the fixture's, so a CLI run checks
 * the fixture archives it downloads from the loopback server against their real MD5s.
 */
import { DATASET_SOURCES } from '../../runtime/data/sources';

const md5s = JSON.parse(process.env.ICL_TEST_DATASET_MD5 ?? '{}') as Record<string, string>;
for (const source of Object.values(DATASET_SOURCES)) {
  for (const file of source.files) if (md5s[file.name]) (file as { md5: string }).md5 = md5s[file.name];
}
