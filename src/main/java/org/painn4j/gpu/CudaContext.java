package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuCtxSetCurrent;
import static jcuda.driver.JCudaDriver.cuDeviceGet;
import static jcuda.driver.JCudaDriver.cuDeviceGetAttribute;
import static jcuda.driver.JCudaDriver.cuDeviceGetCount;
import static jcuda.driver.JCudaDriver.cuDeviceGetName;
import static jcuda.driver.JCudaDriver.cuDevicePrimaryCtxRetain;
import static jcuda.driver.JCudaDriver.cuDriverGetVersion;
import static jcuda.driver.JCudaDriver.cuInit;
import static jcuda.driver.JCudaDriver.cuMemGetInfo;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuModuleGetFunction;
import static jcuda.driver.JCudaDriver.cuModuleGetGlobal;
import static jcuda.driver.JCudaDriver.cuModuleLoadData;

import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.Sizeof;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUcontext;
import jcuda.driver.CUdevice;
import jcuda.driver.CUdevice_attribute;
import jcuda.driver.CUfunction;
import jcuda.driver.CUmodule;
import jcuda.driver.JCudaDriver;

/**
 * The process's CUDA device: its primary context (shared with any other CUDA user in the
 * process), and the PTX modules loaded from the jar. Every driver call throws on error.
 * Device 0 unless PAINN4J_DEVICE names another.
 */
public final class CudaContext {
    private static CudaContext shared;

    final CUdevice device = new CUdevice();
    final CUcontext context = new CUcontext();
    final int ccMajor;
    final int ccMinor;
    final String name;
    final int driverVersion;
    private final Map<String, CUmodule> modules = new HashMap<>();

    private CudaContext() {
        JCudaDriver.setExceptionsEnabled(true);
        cuInit(0);
        int[] count = {0};
        cuDeviceGetCount(count);
        int index = Integer.parseInt(System.getenv().getOrDefault("PAINN4J_DEVICE", "0"));
        if (count[0] == 0) {
            throw new GpuException("the CUDA driver sees no device");
        }
        if (index < 0 || index >= count[0]) {
            throw new GpuException("PAINN4J_DEVICE=" + index + " but there are " + count[0] + " CUDA devices");
        }
        cuDeviceGet(device, index);
        int[] v = {0};
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, device);
        ccMajor = v[0];
        cuDeviceGetAttribute(v, CUdevice_attribute.CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, device);
        ccMinor = v[0];
        cuDriverGetVersion(v);
        driverVersion = v[0];
        byte[] n = new byte[256];
        cuDeviceGetName(n, n.length, device);
        name = new String(n).trim().replace("\0", "");
        if (ccMajor < 8) {
            throw new GpuException(name + " has compute capability " + ccMajor + "." + ccMinor
                    + "; painn4j's kernels need 8.0 (Ampere) or newer");
        }
        cuDevicePrimaryCtxRetain(context, device);
        cuCtxSetCurrent(context);
    }

    /** The process-wide context, created on first use. */
    public static synchronized CudaContext shared() {
        if (shared == null) {
            try {
                shared = new CudaContext();
            } catch (CudaException e) {
                throw new GpuException("CUDA initialization failed: " + e.getMessage(), e);
            }
        }
        shared.makeCurrent();
        return shared;
    }

    /** Binds the context to the calling thread; every entry point calls this first. */
    public void makeCurrent() {
        cuCtxSetCurrent(context);
    }

    /** 10 × major + minor, e.g. 90 for Hopper. */
    public int computeCapability() {
        return 10 * ccMajor + ccMinor;
    }

    public String deviceName() {
        return name;
    }

    public String describe() {
        return name + " (compute capability " + ccMajor + "." + ccMinor + ", driver "
                + driverVersion / 1000 + "." + driverVersion % 1000 / 10 + ")";
    }

    /** [free, total] device memory in bytes. */
    public long[] memoryInfo() {
        long[] free = {0};
        long[] total = {0};
        cuMemGetInfo(free, total);
        return new long[] {free[0], total[0]};
    }

    /**
     * Whether kernels are launched with programmatic dependent launch: on Hopper and newer (whose
     * PTX, sm_90, starts every kernel with the grid-dependency wait) where the JVM can call
     * cuLaunchKernelEx ({@link DependentLaunch}).
     */
    public boolean dependentLaunch() {
        return ccMajor >= 9 && DependentLaunch.on();
    }

    /** How kernels are launched: with programmatic dependent launch, or in plain stream order and why. */
    public String launches() {
        if (dependentLaunch()) {
            return "programmatic dependent launch";
        }
        String why = ccMajor < 9 ? "before Hopper" : DependentLaunch.whyNot();
        return "plain launches (dependent launch " + why + ")";
    }

    /** A kernel of a stage's module: its sm_90 build on Hopper and newer, else compute_80. */
    public synchronized CUfunction function(String stage, String kernel) {
        CUmodule m = modules.computeIfAbsent(stage, this::load);
        CUfunction f = new CUfunction();
        try {
            cuModuleGetFunction(f, m, kernel);
        } catch (CudaException e) {
            throw new GpuException("kernel " + kernel + " not found in module " + stage + ": " + e.getMessage(), e);
        }
        return f;
    }

    /**
     * A 32-bit constant of a stage's module (`extern "C" __device__ const unsigned`), so that a
     * size the kernel's own types define is read from the kernel rather than recomputed by hand.
     */
    public synchronized int constant(String stage, String symbol) {
        makeCurrent();
        CUmodule m = modules.computeIfAbsent(stage, this::load);
        CUdeviceptr at = new CUdeviceptr();
        long[] bytes = {0};
        try {
            cuModuleGetGlobal(at, bytes, m, symbol);
        } catch (CudaException e) {
            throw new GpuException("constant " + symbol + " not found in module " + stage + ": " + e.getMessage(), e);
        }
        if (bytes[0] != Sizeof.INT) {
            throw new GpuException("constant " + symbol + " of module " + stage + " has " + bytes[0] + " bytes, not 4");
        }
        int[] value = {0};
        cuMemcpyDtoH(Pointer.to(value), at, Sizeof.INT);
        return value[0];
    }

    private CUmodule load(String stage) {
        String arch = ccMajor >= 9 ? "sm_90" : "compute_80";
        byte[] ptx = resource(stage + "." + arch + ".ptx");
        if (ptx == null) {
            ptx = resource(stage + ".compute_80.ptx");
        }
        if (ptx == null) {
            throw new GpuException("PTX for stage " + stage + " missing from the jar (org/painn4j/ptx/)");
        }
        CUmodule m = new CUmodule();
        try {
            cuModuleLoadData(m, ptx);
        } catch (CudaException e) {
            throw new GpuException("loading the PTX of " + stage + " failed (" + e.getMessage()
                    + "); the PTX needs an NVIDIA driver >= 580", e);
        }
        return m;
    }

    /** The resource's bytes with a terminating NUL, as cuModuleLoadData wants PTX text. */
    private static byte[] resource(String name) {
        try (InputStream in = CudaContext.class.getResourceAsStream("/org/painn4j/ptx/" + name)) {
            if (in == null) {
                return null;
            }
            byte[] text = in.readAllBytes();
            byte[] z = new byte[text.length + 1];
            System.arraycopy(text, 0, z, 0, text.length);
            return z;
        } catch (IOException e) {
            throw new GpuException("cannot read PTX resource " + name + ": " + e.getMessage(), e);
        }
    }
}
