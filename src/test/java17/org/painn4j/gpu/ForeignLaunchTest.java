package org.painn4j.gpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.Test;

/** The foreign call to cuLaunchKernelEx without a GPU: the structs' layout, JCuda's addresses, the linking. */
class ForeignLaunchTest {
    @Test
    void theLaunchConfigIsLaidOutAsCudaHLaysItOut() {
        ByteBuffer b = ForeignLaunch.config(7, 3, 128, 4096, 0x1234_5678_9abcL, 0xfeed_0000L);
        assertEquals(ForeignLaunch.CONFIG_BYTES + ForeignLaunch.ATTRIBUTE_BYTES, b.capacity());
        int[] dims = {7, 3, 1, 128, 1, 1, 4096};
        for (int i = 0; i < dims.length; i++) {
            assertEquals(dims[i], b.getInt(4 * i), "field " + i);
        }
        assertEquals(0x1234_5678_9abcL, b.getLong(32), "hStream, 8-aligned after sharedMemBytes");
        assertEquals(0xfeed_0000L, b.getLong(40), "attrs");
        assertEquals(1, b.getInt(48), "numAttrs");
        assertEquals(6, b.getInt(56), "CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION");
        assertEquals(1, b.getInt(64), "programmaticStreamSerializationAllowed, the union at offset 8");
    }

    @Test
    void aSliceOfABufferPointsPastItsStart() {
        assertEquals(0L, ForeignLaunch.address(new CUdeviceptr()));
        assertEquals(48L, ForeignLaunch.address(new CUdeviceptr().withByteOffset(16).withByteOffset(32)));
    }

    @Test
    void theTestJvmHasTheForeignLinkerAndFailsOnlyForWantOfADriver() {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.foreign").isPresent(),
                "surefire's argLine adds the module");
        String why = DependentLaunch.whyNot();
        assertTrue(why == null || why.equals("libcuda.so.1 not found"), "unexpected: " + why);
    }
}
