package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuMemAlloc;
import static jcuda.driver.JCudaDriver.cuMemFree;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoH;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoD;
import static jcuda.driver.JCudaDriver.cuMemsetD32Async;

import java.util.Locale;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUdeviceptr;
import jcuda.driver.CUstream;

/**
 * A named device allocation, sized once for a capacity and reused. Out of memory is reported
 * with the buffer's name and the size asked.
 */
public final class DeviceBuffer implements AutoCloseable {
    final String name;
    final long bytes;
    final CUdeviceptr ptr;
    /** A view into another buffer's memory is never freed by itself. */
    private final boolean view;
    private boolean freed;

    DeviceBuffer(CudaContext cuda, String name, long bytes) {
        this.name = name;
        this.bytes = bytes;
        this.ptr = new CUdeviceptr();
        this.view = false;
        try {
            cuMemAlloc(ptr, Math.max(bytes, 16));
        } catch (CudaException e) {
            long[] mem = cuda.memoryInfo();
            throw new GpuException(String.format(Locale.ROOT,
                    "out of GPU memory: %s needs %.1f MiB, %.1f MiB of %.1f MiB free (%s)",
                    name, bytes / 1048576.0, mem[0] / 1048576.0, mem[1] / 1048576.0, e.getMessage()), e);
        }
    }

    private DeviceBuffer(String name, CUdeviceptr ptr, long bytes) {
        this.name = name;
        this.ptr = ptr;
        this.bytes = bytes;
        this.view = true;
    }

    /** Bytes [offset, offset + length) of this buffer, as a buffer of its own (not freed separately). */
    DeviceBuffer slice(String sliceName, long offset, long length) {
        if (offset < 0 || offset + length > bytes) {
            throw new IllegalArgumentException(sliceName + ": slice past the end of " + name);
        }
        return new DeviceBuffer(sliceName, ptr.withByteOffset(offset), length);
    }

    /** The device address, for tables of pointers that a kernel reads (fused.cu). */
    long address() {
        long[] a = {0};
        jcuda.driver.JCudaDriver.cuPointerGetAttribute(jcuda.Pointer.to(a),
                jcuda.driver.CUpointer_attribute.CU_POINTER_ATTRIBUTE_DEVICE_POINTER, ptr);
        return a[0];
    }

    /** Bytes allocated: 0 for a view. */
    public long bytes() {
        return view ? 0 : bytes;
    }

    /** Fills with a 32-bit pattern: 0 to clear, or a NaN pattern to poison. */
    void fill32(int pattern, CUstream stream) {
        cuMemsetD32Async(ptr, pattern, this.bytes / 4, stream);
    }

    /** Synchronous copies for set-up and tests; the evaluation path uses pinned buffers. */
    void upload(double[] values) {
        cuMemcpyHtoD(ptr, Pointer.to(values), (long) values.length * 8);
    }

    void upload(float[] values) {
        cuMemcpyHtoD(ptr, Pointer.to(values), (long) values.length * 4);
    }

    void upload(long[] values) {
        cuMemcpyHtoD(ptr, Pointer.to(values), (long) values.length * 8);
    }

    void upload(int[] values) {
        cuMemcpyHtoD(ptr, Pointer.to(values), (long) values.length * 4);
    }

    void download(double[] out) {
        cuMemcpyDtoH(Pointer.to(out), ptr, (long) out.length * 8);
    }

    void download(float[] out) {
        cuMemcpyDtoH(Pointer.to(out), ptr, (long) out.length * 4);
    }

    void download(long[] out) {
        cuMemcpyDtoH(Pointer.to(out), ptr, 8L * out.length);
    }

    void download(int[] out) {
        cuMemcpyDtoH(Pointer.to(out), ptr, (long) out.length * 4);
    }

    @Override
    public void close() {
        if (!freed && !view) {
            freed = true;
            cuMemFree(ptr);
        }
    }
}
