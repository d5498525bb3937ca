package org.painn4j.gpu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

import jcuda.NativePointerObject;
import jcuda.Pointer;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;
import jdk.incubator.foreign.CLinker;
import jdk.incubator.foreign.FunctionDescriptor;
import jdk.incubator.foreign.MemoryAccess;
import jdk.incubator.foreign.MemoryAddress;
import jdk.incubator.foreign.MemorySegment;
import jdk.incubator.foreign.ResourceScope;

/**
 * cuLaunchKernelEx(const CUlaunchConfig*, CUfunction, void** params, void** extra) from
 * libcuda, through JDK 17's foreign linker (jdk.incubator.foreign), with one launch attribute:
 * programmatic stream serialization. Built on JDK 17 only (pom.xml) and loaded only by
 * {@link DependentLaunch}, by reflection, once the incubator module is known to be present. The
 * CUDA handles and device pointers are JCuda's, read from its objects.
 */
final class ForeignLaunch {
    /** CUlaunchConfig (cuda.h, CUDA 12): grid x y z, block x y z, shared bytes, stream, attrs, numAttrs. */
    static final int CONFIG_BYTES = 56;
    static final int CONFIG_STREAM = 32;
    static final int CONFIG_ATTRS = 40;
    static final int CONFIG_NUM_ATTRS = 48;
    /** CUlaunchAttribute: a 4-byte id, padding to 8, a 64-byte value union. */
    static final int ATTRIBUTE_BYTES = 72;
    static final int ATTRIBUTE_VALUE = 8;
    /** CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION. */
    static final int PROGRAMMATIC_STREAM_SERIALIZATION = 6;

    private static final int RTLD_LAZY = 1;
    private static MethodHandle launchKernelEx;
    private static final Field NATIVE_POINTER = accessible(NativePointerObject.class, "nativePointer");
    private static final Field BYTE_OFFSET = accessible(Pointer.class, "byteOffset");

    private ForeignLaunch() {
    }

    /** Finds cuLaunchKernelEx in the libcuda that JCuda has loaded; null when done, else why not. */
    static String link() {
        CLinker linker = CLinker.getInstance();
        MemoryAddress dlopen = CLinker.systemLookup().lookup("dlopen").orElse(null);
        MemoryAddress dlsym = CLinker.systemLookup().lookup("dlsym").orElse(null);
        if (dlopen == null || dlsym == null) {
            return "no dlopen/dlsym in the C library";
        }
        MethodHandle open = linker.downcallHandle(dlopen,
                MethodType.methodType(MemoryAddress.class, MemoryAddress.class, int.class),
                FunctionDescriptor.of(CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_INT));
        MethodHandle sym = linker.downcallHandle(dlsym,
                MethodType.methodType(MemoryAddress.class, MemoryAddress.class, MemoryAddress.class),
                FunctionDescriptor.of(CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_POINTER));
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            MemoryAddress lib = (MemoryAddress) open.invokeExact(CLinker.toCString("libcuda.so.1", scope).address(),
                    RTLD_LAZY);
            if (lib.equals(MemoryAddress.NULL)) {
                return "libcuda.so.1 not found";
            }
            MemoryAddress fn = (MemoryAddress) sym.invokeExact(lib,
                    CLinker.toCString("cuLaunchKernelEx", scope).address());
            if (fn.equals(MemoryAddress.NULL)) {
                return "this driver has no cuLaunchKernelEx";
            }
            launchKernelEx = linker.downcallHandle(fn,
                    MethodType.methodType(int.class, MemoryAddress.class, MemoryAddress.class, MemoryAddress.class,
                            MemoryAddress.class),
                    FunctionDescriptor.of(CLinker.C_INT, CLinker.C_POINTER, CLinker.C_POINTER, CLinker.C_POINTER,
                            CLinker.C_POINTER));
            return null;
        } catch (Throwable e) {
            return "linking cuLaunchKernelEx failed: " + e;
        }
    }

    /** JCuda keeps a handle's native value in a private field; this jar's copy of JCuda is fixed (12.6.0). */
    private static Field accessible(Class<?> owner, String name) {
        try {
            Field f = owner.getDeclaredField(name);
            f.setAccessible(true);
            return f;
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("JCuda's " + owner.getSimpleName() + " has no field " + name, e);
        }
    }

    /** The address a JCuda handle or device pointer stands for (its byte offset included). */
    static long address(NativePointerObject o) {
        try {
            long a = NATIVE_POINTER.getLong(o);
            return o instanceof Pointer ? a + BYTE_OFFSET.getLong(o) : a;
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The CUlaunchConfig and its one attribute, laid out as cuda.h lays them out, the attribute
     * right after the config (attrsAt: the address the config points to).
     */
    static ByteBuffer config(int gridX, int gridY, int block, int sharedBytes, long stream, long attrsAt) {
        ByteBuffer b = ByteBuffer.allocate(CONFIG_BYTES + ATTRIBUTE_BYTES).order(ByteOrder.nativeOrder());
        b.putInt(0, gridX).putInt(4, gridY).putInt(8, 1);
        b.putInt(12, block).putInt(16, 1).putInt(20, 1);
        b.putInt(24, sharedBytes);
        b.putLong(CONFIG_STREAM, stream);
        b.putLong(CONFIG_ATTRS, attrsAt);
        b.putInt(CONFIG_NUM_ATTRS, 1);
        b.putInt(CONFIG_BYTES, PROGRAMMATIC_STREAM_SERIALIZATION);
        b.putInt(CONFIG_BYTES + ATTRIBUTE_VALUE, 1);
        return b;
    }

    /** One launch; returns the CUresult. args as {@link Kernel} takes them. */
    static int launch(CUfunction function, int gridX, int gridY, int block, int sharedBytes, CUstream stream,
                      Object[] args) {
        int n = args.length;
        try (ResourceScope scope = ResourceScope.newConfinedScope()) {
            // [config | attribute | n argument slots of 8 bytes | n pointers to them]
            long slots = CONFIG_BYTES + ATTRIBUTE_BYTES;
            MemorySegment m = MemorySegment.allocateNative(slots + 16L * n, 16, scope);
            long base = m.address().toRawLongValue();
            long streamAt = stream == null ? 0 : address(stream);
            m.asSlice(0, CONFIG_BYTES + ATTRIBUTE_BYTES)
                    .copyFrom(MemorySegment.ofByteBuffer(
                            config(gridX, gridY, block, sharedBytes, streamAt, base + CONFIG_BYTES)));
            for (int i = 0; i < n; i++) {
                long slot = slots + 8L * i;
                Object a = args[i];
                if (a == null) {
                    MemoryAccess.setLongAtOffset(m, slot, 0L);
                } else if (a instanceof DeviceBuffer d) {
                    MemoryAccess.setLongAtOffset(m, slot, address(d.ptr));
                } else if (a instanceof Integer v) {
                    MemoryAccess.setIntAtOffset(m, slot, v);
                } else if (a instanceof Double v) {
                    MemoryAccess.setDoubleAtOffset(m, slot, v);
                } else if (a instanceof Long v) {
                    MemoryAccess.setLongAtOffset(m, slot, v);
                } else {
                    throw new IllegalArgumentException("unsupported kernel argument " + a.getClass());
                }
                MemoryAccess.setLongAtOffset(m, slots + 8L * n + 8L * i, base + slot);
            }
            MemoryAddress params = MemoryAddress.ofLong(base + slots + 8L * n);
            return (int) launchKernelEx.invokeExact(MemoryAddress.ofLong(base), MemoryAddress.ofLong(address(function)),
                    params, MemoryAddress.NULL);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cuLaunchKernelEx: " + e, e);
        }
    }
}
