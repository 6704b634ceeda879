/**
 * `node --import tsx --import ./test/faults/preload.ts …`: installs the fault plan of the
 * environment variable ICL_FAULT_PLAN (JSON, see shim.ts) in a CLI process; with
 * ICL_FAULT_RECORD set, writes the points counted there at exit.
 */
import * as fs from 'node:fs';
import { installFaults, removeFaults, type FaultPlan } from './shim';

const plan = process.env.ICL_FAULT_PLAN;
if (plan) {
  installFaults(JSON.parse(plan) as FaultPlan);
  process.on('exit', () => {
    const { points } = removeFaults();
    if (process.env.ICL_FAULT_RECORD) fs.writeFileSync(process.env.ICL_FAULT_RECORD, JSON.stringify(points));
  });
}
