/**
 * `npm run schema`: writes schemas/config.schema.json (for editors: the extension's IntelliSense)
 * and docs/config.md (the config reference), both generated from the config tree, and prints their
 * paths. `--check` writes nothing and exits 1 when either file is out of date.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { configJsonSchema, configMarkdown } from '../config';

/** Relative paths of the generated files. */
export const GENERATED = { schema: 'schemas/config.schema.json', docs: 'docs/config.md' } as const;

/** The generated files' contents, by relative path. */
export function generatedFiles(): Record<string, string> {
  return {
    [GENERATED.schema]: `${JSON.stringify(configJsonSchema(), null, 2)}\n`,
    [GENERATED.docs]: configMarkdown(),
  };
}

function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

function main(argv: string[]): number {
  const check = argv.includes('--check');
  const root = repoRoot();
  let stale = 0;
  for (const [rel, text] of Object.entries(generatedFiles())) {
    const file = path.join(root, rel);
    if (check) {
      const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
      if (current !== text) {
        stale++;
        console.error(`${rel} is out of date; run npm run schema`);
      }
      continue;
    }
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    console.log(file);
  }
  return stale ? 1 : 0;
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
