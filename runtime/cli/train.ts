/**
 * `npm run train -- [--config FILE.yaml] [--resume RUN_DIR] [key value …]`
 * Trains a classifier; see README "Training". Prints a final JSON line:
 * `{"status":…,"output_dir":…,"epoch":…,"val_loss":…,"val_accuracy":…,"checkpoint":…}`.
 */
import { runTraining } from '../train/trainer';
import { parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = `Usage: npm run train -- [--config FILE.yaml] [--resume RUN_DIR] [key value ...]

Trains the model of the config (defaults, then FILE.yaml, then the key value pairs) and writes
the run folder train.output_dir: config.yaml, config_min.yaml, env.yaml, log.txt, events.jsonl,
checkpoint_NNNNN.ckpt. --resume RUN_DIR continues a stopped or killed run from its last checkpoint.`;

runCli(async () => {
  const cli = parseConfigCli(USAGE, {}, true);
  if (!cli) return 0;
  const result = await runTraining(cli.config, { resume: Boolean(cli.resumeDir) });
  printJsonLine({
    status: result.status,
    output_dir: result.outputDir,
    epoch: result.epoch,
    val_loss: result.lastVal?.loss ?? null,
    val_accuracy: result.lastVal?.accuracy ?? null,
    checkpoint: result.lastCheckpoint ?? null,
  });
  return result.status === 'completed' ? 0 : 130;
});
