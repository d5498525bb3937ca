package org.painn4j.cli;

import java.io.PrintWriter;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Precision;
import org.painn4j.cpu.CpuCalculator;
import org.painn4j.gpu.Gpu;
import org.painn4j.gpu.GpuCalculator;
import org.painn4j.gpu.GpuException;
import org.painn4j.model.PainnModel;
import picocli.CommandLine.Option;

/** --device, --precision and --threads, and the calculator they choose. */
final class EngineOptions {
    enum Device { auto, cpu, gpu }

    enum PrecisionOption {
        float32(Precision.FLOAT32), float64(Precision.FLOAT64);

        final Precision precision;

        PrecisionOption(Precision p) {
            this.precision = p;
        }
    }

    @Option(names = "--device", paramLabel = "auto|cpu|gpu", defaultValue = "auto",
            description = "Where to compute: the GPU when one is present (auto, the default), the CPU, or the GPU.")
    Device device;

    @Option(names = "--precision", paramLabel = "float32|float64",
            description = "Number type: float32 or float64 on the GPU (default float32); the CPU engine is float64.")
    PrecisionOption precision;

    @Option(names = "--threads", paramLabel = "N",
            description = {"Threads of the CPU engine (default: every core the JVM may use; at most 4 per core,",
                    "or 64); its results are the same bits for any number."})
    Integer threads;

    /** True when this choice runs on the GPU. */
    boolean gpu() {
        return switch (device) {
            case cpu -> false;
            case gpu -> true;
            case auto -> Gpu.available();
        };
    }

    Calculator open(PainnModel model, PrintWriter err) {
        checkThreads(threads);
        if (device == Device.gpu && !Gpu.available()) {
            // a GPU failure, as the exit codes promise: 3, not the 2 of a mistake in the input
            throw new GpuException("--device gpu: no CUDA device is available (" + Gpu.unavailableReason() + ")");
        }
        if (gpu()) {
            Precision p = precision == null ? Precision.FLOAT32 : precision.precision;
            return new GpuCalculator(model, p);
        }
        if (precision == PrecisionOption.float32) {
            if (device == Device.cpu) {
                throw new InputException("--precision float32 needs the GPU; the CPU engine computes in float64");
            }
            err.println("painn4j: no CUDA device (" + Gpu.unavailableReason() + "); computing on the CPU in float64");
        }
        return cpu(model);
    }

    /** The CPU engine on --threads threads. */
    CpuCalculator cpu(PainnModel model) {
        return cpu(model, threads);
    }

    static CpuCalculator cpu(PainnModel model, Integer threads) {
        checkThreads(threads);
        return threads == null ? new CpuCalculator(model) : new CpuCalculator(model, threads);
    }

    /** Threads allowed per core: a few more than cores still works, only spinning while they wait. */
    static final int PER_CORE = 4;
    /** The cap on a machine of few cores, so that a small machine can still run a test of many threads. */
    static final int MIN_CAP = 64;

    static void checkThreads(Integer threads) {
        if (threads != null && threads < 1) {
            throw new InputException("--threads must be at least 1, got " + threads);
        }
        // more threads than cores only spin; a count far past them exhausts memory after minutes of work
        int cores = Runtime.getRuntime().availableProcessors();
        if (threads != null && threads > maxThreads(cores)) {
            throw new InputException("--threads must be at most " + maxThreads(cores) + " on this machine of " + cores
                    + (cores == 1 ? " core" : " cores") + " (" + PER_CORE + " per core, never below " + MIN_CAP
                    + "), got " + threads);
        }
    }

    /** The largest --threads accepted on a machine of the given cores. */
    static int maxThreads(int cores) {
        return Math.max(MIN_CAP, PER_CORE * cores);
    }
}
