package org.painn4j.gpu;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Optional;
import jcuda.driver.CUfunction;
import jcuda.driver.CUstream;

/**
 * Programmatic dependent launch (Hopper and newer): each kernel is launched with
 * cuLaunchKernelEx and CU_LAUNCH_ATTRIBUTE_PROGRAMMATIC_STREAM_SERIALIZATION, so that the GPU
 * starts launching it as the blocks of the kernel before it exit, not after that grid has
 * completed; the kernel itself waits for its predecessor's writes before it touches memory
 * (every kernel's first call, painn_grid_dependency in kernels/common.cuh). Captured into a CUDA
 * graph, the launches become programmatic edges. On the H200 it takes 8–11 µs off a 21-atom
 * evaluation (docs/performance.md, entry 46).
 *
 * <p>JCuda 12.6 binds no cuLaunchKernelEx, so ForeignLaunch (src/main/java17, built on JDK 17
 * only: pom.xml) calls it through the JDK's foreign linker, which JDK 17 ships as the incubator
 * module jdk.incubator.foreign. That module is resolved only when the JVM is started with
 * {@code --add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED}; without it, on
 * a JDK whose incubator API differs (18 and later), in a build made on another JDK, before
 * Hopper, or with PAINN4J_DEPENDENT_LAUNCH=0, every kernel is launched in plain stream order by
 * cuLaunchKernel. Either way the results are the same bits. ForeignLaunch is reached by
 * reflection, so that this class compiles and loads without it.
 */
public final class DependentLaunch {
    /** The JVM options that turn it on (JDK 17). */
    public static final String JVM_OPTIONS = "--add-modules jdk.incubator.foreign --enable-native-access=ALL-UNNAMED";

    private static final String MODULE = "jdk.incubator.foreign";
    private static volatile String unavailable;
    private static volatile boolean probed;
    private static volatile boolean enabled = true;
    private static volatile MethodHandle launch;

    private DependentLaunch() {
    }

    /** Whether kernels created from now on use it: available and not turned off by {@link #enable}. */
    static boolean on() {
        return enabled && available();
    }

    /** Turns it off (or back on) for kernels created from now on: the tests compare both ways. */
    static void enable(boolean on) {
        enabled = on;
    }

    /** Whether launches can go through cuLaunchKernelEx in this JVM; else why not: {@link #whyNot()}. */
    static synchronized boolean available() {
        if (!probed) {
            unavailable = probe();
            probed = true;
        }
        return unavailable == null;
    }

    /** null where {@link #available()}, else the reason in a few words. */
    public static String whyNot() {
        available();
        return unavailable;
    }

    private static String probe() {
        if ("0".equals(System.getenv("PAINN4J_DEPENDENT_LAUNCH"))) {
            return "off (PAINN4J_DEPENDENT_LAUNCH=0)";
        }
        if (Runtime.version().feature() != 17) {
            return "needs JDK 17's foreign linker (this is JDK " + Runtime.version().feature() + ")";
        }
        Optional<Module> module = ModuleLayer.boot().findModule(MODULE);
        if (module.isEmpty()) {
            return "needs the JVM options " + JVM_OPTIONS;
        }
        try {
            // the class that names the module's types is loaded only now that the module is there
            Class<?> c = Class.forName("org.painn4j.gpu.ForeignLaunch");
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            String why = (String) lookup.findStatic(c, "link", MethodType.methodType(String.class)).invoke();
            if (why == null) {
                launch = lookup.findStatic(c, "launch", MethodType.methodType(int.class, CUfunction.class, int.class,
                        int.class, int.class, int.class, CUstream.class, Object[].class));
            }
            return why;
        } catch (ClassNotFoundException e) {
            return "not in this build (built on a JDK other than 17)";
        } catch (Throwable e) {
            return "foreign linker unusable: " + e;
        }
    }

    /** One launch through cuLaunchKernelEx ({@link #on()} must hold); returns the CUresult. */
    static int launch(CUfunction function, int gridX, int gridY, int block, int sharedBytes, CUstream stream,
                      Object[] args) {
        try {
            return (int) launch.invokeExact(function, gridX, gridY, block, sharedBytes, stream, args);
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable e) {
            throw new IllegalStateException("cuLaunchKernelEx: " + e, e);
        }
    }
}
