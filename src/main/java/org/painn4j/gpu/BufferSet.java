package org.painn4j.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * Device buffers allocated together and freed together: the per-atom, per-edge, neighbor-list
 * and batch buffers and the model's weights each extend this.
 */
abstract class BufferSet implements AutoCloseable {
    /** Every buffer of the set, in allocation order. */
    final List<DeviceBuffer> all = new ArrayList<>();

    /** A new buffer of bytes, freed with the set. */
    final DeviceBuffer add(CudaContext cuda, String name, long bytes) {
        return keep(new DeviceBuffer(cuda, name, bytes));
    }

    /** A buffer made elsewhere (an upload), freed with the set from now on. */
    final DeviceBuffer keep(DeviceBuffer b) {
        all.add(b);
        return b;
    }

    /** Device memory held by the set, in bytes. */
    long bytes() {
        return all.stream().mapToLong(DeviceBuffer::bytes).sum();
    }

    @Override
    public void close() {
        all.forEach(DeviceBuffer::close);
    }
}
