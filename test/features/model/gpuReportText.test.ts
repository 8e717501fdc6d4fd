import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fallbackLines, reportRows, reportText, unexpectedFallback } from '../../../src/features/model/gpuReportText';
import { parseRepoInput } from '../../../src/features/model/repoInput';
import type { GpuReport } from '../../../src/engine/model/gpu/protocol';

const report: GpuReport = {
  cuda: {
    usable: false,
    reason: 'missing libcudnn.so.9.',
    platform: 'linux-x64',
    ortVersion: '1.30.0',
    package: 'Microsoft.ML.OnnxRuntime.Gpu.Linux 1.30.0',
    cudaMajor: 12,
    cudnnMajor: 9,
    providerInstalled: true,
    checks: [
      { name: 'libcuda.so.1', role: 'NVIDIA driver', found: '/usr/lib/x86_64-linux-gnu/libcuda.so.1', searched: [] },
      { name: 'libcudnn.so.9', role: 'cuDNN 9', searched: ['/usr/lib'], fix: 'sudo apt install libcudnn9-cuda-12' },
    ],
    missing: ['libcudnn.so.9'],
  },
  webgpu: { usable: false, reason: 'only a software (CPU) Vulkan driver is installed', drivers: [{ manifest: '/usr/share/vulkan/icd.d/lvp_icd.json', library: 'libvulkan_lvp.so', software: true }], software: true },
  cpu: { usable: true, cores: 16, model: 'AMD EPYC', avx2: true },
};

test('the report reads as headings, then each check with its path or its fix', () => {
  const rows = reportRows(report);
  assert.deepEqual(rows.filter((r) => r.heading).map((r) => r.label), ['CUDA: not usable', 'WebGPU: not usable', 'CPU: usable']);
  const cudnn = rows.find((r) => r.description === 'libcudnn.so.9')!;
  assert.equal(cudnn.label, '$(close) cuDNN 9');
  assert.equal(cudnn.detail, 'sudo apt install libcudnn9-cuda-12');
  const text = reportText(report);
  assert.match(text, /^CUDA: not usable\n {2}missing libcudnn\.so\.9\./);
  assert.match(text, /libvulkan_lvp\.so \(software\)/);
  assert.doesNotMatch(text, /\$\(/, 'no icon syntax in the copied text');
});

test('fallbacks: every reason in the tooltip; a notice only when CUDA was set up and still did not run', () => {
  const failures = [{ provider: 'cuda' as const, reason: 'no NVIDIA driver (libcuda.so.1) is installed' }, { provider: 'webgpu' as const, reason: 'no Vulkan loader' }];
  assert.deepEqual(fallbackLines({ providerFailures: failures }), ['cuda unavailable: no NVIDIA driver (libcuda.so.1) is installed', 'webgpu unavailable: no Vulkan loader']);
  assert.equal(unexpectedFallback({ provider: 'cpu', providerFailures: failures }), undefined);
  assert.equal(unexpectedFallback({ provider: 'cpu', providerFailures: [{ provider: 'cuda', reason: 'the CUDA provider libraries are not set up (run ...)' }] }), undefined);
  assert.equal(
    unexpectedFallback({ provider: 'webgpu', providerFailures: [{ provider: 'cuda', reason: 'it loaded but failed on its first run: CUDA error' }] }),
    'CUDA did not run the model (it loaded but failed on its first run: CUDA error); it runs on webgpu instead.',
  );
});

test('a repository typed by hand: owner/name, @revision, or a Hub URL', () => {
  assert.deepEqual(parseRepoInput(' Simonlee711/Clinical_ModernBERT '), { repo: 'Simonlee711/Clinical_ModernBERT' });
  assert.deepEqual(parseRepoInput('emilyalsentzer/Bio_ClinicalBERT@refs/pr/3'), { repo: 'emilyalsentzer/Bio_ClinicalBERT', revision: 'refs/pr/3' });
  assert.deepEqual(parseRepoInput('https://huggingface.co/answerdotai/ModernBERT-base'), { repo: 'answerdotai/ModernBERT-base' });
});
