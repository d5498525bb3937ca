package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuMemAllocHost;
import static jcuda.driver.JCudaDriver.cuMemFreeHost;
import static jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync;
import static jcuda.driver.JCudaDriver.cuMemcpyHtoDAsync;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import jcuda.CudaException;
import jcuda.Pointer;
import jcuda.driver.CUstream;

/**
 * Page-locked host memory: copies to and from it run asynchronously on the stream, at full
 * speed, and can be captured in a CUDA graph (a pageable copy cannot).
 */
final class PinnedBuffer implements AutoCloseable {
    final Pointer ptr = new Pointer();
    final ByteBuffer data;
    final long bytes;
    private boolean freed;

    PinnedBuffer(String name, long bytes) {
        this.bytes = bytes;
        try {
            cuMemAllocHost(ptr, Math.max(bytes, 16));
        } catch (CudaException e) {
            throw new GpuException("cannot allocate " + bytes + " bytes of pinned host memory for " + name
                    + ": " + e.getMessage(), e);
        }
        data = ptr.getByteBuffer(0, Math.max(bytes, 16)).order(ByteOrder.nativeOrder());
    }

    void toDevice(DeviceBuffer dst, long count, CUstream stream) {
        cuMemcpyHtoDAsync(dst.ptr, ptr, count, stream);
    }

    void fromDevice(DeviceBuffer src, long count, CUstream stream) {
        cuMemcpyDtoHAsync(ptr, src.ptr, count, stream);
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            cuMemFreeHost(ptr);
        }
    }
}
