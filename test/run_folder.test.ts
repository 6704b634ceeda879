import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import {
  checkpointFileName,
  CHECKPOINT_NAME_RE,
  newestJobId,
  onlySubmission,
  parseCheckpointName,
  parseEvaluateResult,
  slurmJobsFile,
  submittedJobs,
} from '../runtime/protocol';

describe('run folder contract (runtime/protocol)', () => {
  it('checkpoint names: written and parsed back, step files included; other names are not checkpoints', () => {
    assert.equal(checkpointFileName(10), 'checkpoint_00010.ckpt');
    assert.equal(checkpointFileName(3, 120), 'checkpoint_00003_step00120.ckpt');
    assert.deepEqual(parseCheckpointName('/runs/a/checkpoint_00010.ckpt'), { epoch: 10, step: 0 });
    assert.deepEqual(parseCheckpointName(checkpointFileName(3, 120)), { epoch: 3, step: 120 });
    for (const other of ['checkpoint_00010.ckpt.tmp-12-ab12cd34', 'last_checkpoint', 'checkpoint_x.ckpt', 'model.ckpt']) {
      assert.equal(parseCheckpointName(other), undefined, other);
      assert.equal(CHECKPOINT_NAME_RE.test(other), false, other);
    }
  });

  it('jobs.json: entries without a job id are left out, numeric ids become text, a broken file is no jobs', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-jobs-'));
    assert.deepEqual(submittedJobs(dir), []);
    assert.equal(onlySubmission(dir), false);
    fs.mkdirSync(path.dirname(slurmJobsFile(dir)));
    fs.writeFileSync(slurmJobsFile(dir), JSON.stringify([{ job_id: '41', submitted: 't', script: 's', cluster: 'c1' }, { nope: 1 }, { job_id: 42 }]));
    assert.deepEqual(submittedJobs(dir), [{ job_id: '41', submitted: 't', script: 's', cluster: 'c1' }, { job_id: '42', submitted: '', script: '' }]);
    assert.equal(newestJobId(dir), '42');
    assert.equal(onlySubmission(dir), true);
    fs.writeFileSync(slurmJobsFile(dir), '{"job_id": "7"}');
    assert.deepEqual(submittedJobs(dir), []);
    assert.equal(newestJobId(dir), undefined);
  });

  it("evaluate's result line: the last stdout line, checked field by field", () => {
    const line = JSON.stringify({ loss: 0.61, accuracy: 0.7655, error: 0.2345, n: 10000 });
    assert.deepEqual(parseEvaluateResult(`Loss 0.6100 Accuracy 0.7655\n${line}\n`), { loss: 0.61, accuracy: 0.7655, error: 0.2345, n: 10000 });
    assert.equal(parseEvaluateResult('error: test.checkpoint: x does not exist\n'), undefined);
    assert.equal(parseEvaluateResult(JSON.stringify({ loss: null, accuracy: 0.5, error: 0.5, n: 0 })), undefined);
    assert.equal(parseEvaluateResult(JSON.stringify({ loss: 1, accuracy: 0.5, error: 0.5, n: 2.5 })), undefined);
    assert.equal(parseEvaluateResult('[1, 2]'), undefined);
  });
});
