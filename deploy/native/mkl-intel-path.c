/*
 * Preloaded into Tokenmill's JVM on AMD CPUs (bin/tokenmill; Spark executors: docs/DEPLOY.md).
 *
 * libtorch's CPU build links Intel MKL statically and exports MKL's internal service functions. MKL asks
 * mkl_serv_intel_cpu_true() whether it runs on an Intel CPU and, when not, dispatches every BLAS call to
 * its generic code path ("cnr_def" kernels in a profile) whatever the CPU supports. Answering "yes" lets
 * MKL pick its kernels from the instruction sets the CPU reports (AVX2, AVX-512), as it does on Intel
 * parts. Measured on the project's AMD EPYC (AVX-512) VM: the 0.5B model's projections 1.5-2.5x faster;
 * results stay fp32 and within the float64-reference bound (docs/PERFORMANCE.md, "MKL's own kernels on AMD").
 */
int mkl_serv_intel_cpu_true(void) { return 1; }
