package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuFuncSetAttribute;
import static jcuda.driver.JCudaDriver.cuLaunchKernel;
import static jcuda.driver.JCudaDriver.cuStreamIsCapturing;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import jcuda.CudaException;
import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUfunction;
import jcuda.driver.CUresult;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureStatus;

/**
 * One kernel entry point. Arguments are DeviceBuffers (null for an absent optional pointer),
 * Integers, Longs and Doubles, in the order of the kernel's parameter list. A failure names the
 * kernel; with checking on (tests, PAINN4J_CHECK_LAUNCHES=1) every launch is followed by a
 * synchronize so that an error is caught at the kernel that caused it.
 */
final class Kernel {
    static volatile boolean check = "1".equals(System.getenv("PAINN4J_CHECK_LAUNCHES"));
    private static final CUdeviceptr NULL = new CUdeviceptr();

    final String name;
    private final CUfunction function;
    /** Launched by cuLaunchKernelEx with programmatic stream serialization ({@link DependentLaunch}). */
    private final boolean dependent;

    Kernel(CudaContext cuda, String stage, String name) {
        this(name, cuda.function(stage, name), cuda.dependentLaunch());
    }

    /** A function of a module loaded elsewhere (the probes' own builds of a stage), launched in plain stream order. */
    Kernel(String name, CUfunction function) {
        this(name, function, false);
    }

    private Kernel(String name, CUfunction function, boolean dependent) {
        this.name = name;
        this.function = function;
        this.dependent = dependent;
    }

    /** A stream being captured into a graph must not be synchronized. */
    private static boolean capturing(CUstream stream) {
        int[] status = {0};
        cuStreamIsCapturing(stream, status);
        return status[0] != CUstreamCaptureStatus.CU_STREAM_CAPTURE_STATUS_NONE;
    }

    void launch(CUstream stream, int gridX, int gridY, int block, Object... args) {
        launchShared(stream, gridX, gridY, block, 0, args);
    }

    /** A launch with sharedBytes of dynamic shared memory (set the kernel's maximum first: {@link #attribute}). */
    void launchShared(CUstream stream, int gridX, int gridY, int block, int sharedBytes, Object... args) {
        if (gridX <= 0 || gridY <= 0) {
            return;
        }
        Profiler profiler = Profiler.active();
        try {
            // the profiler's events time each kernel apart: no overlap with the one before
            if (dependent && profiler == null) {
                int code = DependentLaunch.launch(function, gridX, gridY, block, sharedBytes, stream, args);
                if (code != 0) {
                    throw new GpuException("kernel " + name + " failed: " + CUresult.stringFor(code));
                }
            } else {
                jcuda.driver.CUevent[] events = profiler == null ? null : profiler.begin(stream);
                cuLaunchKernel(function, gridX, gridY, 1, block, 1, 1, sharedBytes, stream, params(args), null);
                if (events != null) {
                    profiler.end(name, events, stream);
                }
            }
            if (check && !capturing(stream)) {
                cuStreamSynchronize(stream);
            }
        } catch (CudaException e) {
            throw new GpuException("kernel " + name + " failed: " + e.getMessage(), e);
        }
    }

    /** cuLaunchKernel's parameter array: a pointer to each argument's value. */
    private Pointer params(Object[] args) {
        NativePointerObject[] params = new NativePointerObject[args.length];
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a == null) {
                params[i] = Pointer.to(NULL);
            } else if (a instanceof DeviceBuffer b) {
                params[i] = Pointer.to(b.ptr);
            } else if (a instanceof Integer v) {
                params[i] = Pointer.to(new int[] {v});
            } else if (a instanceof Double v) {
                params[i] = Pointer.to(new double[] {v});
            } else if (a instanceof Long v) {
                params[i] = Pointer.to(new long[] {v});
            } else {
                throw new IllegalArgumentException(name + ": unsupported argument " + a.getClass());
            }
        }
        return Pointer.to(params);
    }

    /** Sets a function attribute (CUfunction_attribute), e.g. the dynamic shared memory allowed. */
    void attribute(int attribute, int value) {
        try {
            cuFuncSetAttribute(function, attribute, value);
        } catch (CudaException e) {
            throw new GpuException("kernel " + name + ": attribute " + attribute + " = " + value + " refused: "
                    + e.getMessage(), e);
        }
    }
}
