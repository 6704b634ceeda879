export { initBackend, describeBackend, toDevice, summariseLoadError, type BackendInfo, type Device, type Engine } from './select';
export { registerWasmKernels, WASM_KERNEL_CONFIGS } from './wasm/kernels';
export { LIBTORCH_BACKEND_NAME, LIBTORCH_KERNEL_CONFIGS, registerLibtorchBackend, loadAddon as loadLibtorchAddon, LIBTORCH_ALLOC_STATS_ENV } from './libtorch';
export { wasmBinaryDir, packageWasmDir, WASM_BINARY_NAMES, WASM_DIR_ENV } from './wasm/paths';
export { resolveThreads, THREADS_PINNED_VERSION } from './wasm/threads';
export { busyCores, contentionWarning } from './contention';
