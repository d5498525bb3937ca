package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuEventCreate;
import static jcuda.driver.JCudaDriver.cuEventDestroy;
import static jcuda.driver.JCudaDriver.cuEventElapsedTime;
import static jcuda.driver.JCudaDriver.cuEventRecord;
import static jcuda.driver.JCudaDriver.cuEventSynchronize;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.CUstream;

/**
 * Times every kernel launch with CUDA events, for `painn4j bench --profile`: while a profiler
 * is active on the thread, each launch is bracketed by two events and filed under its kernel
 * name and the phase the calculator is in (neighbor list, edge features, forward, backward).
 * Used on the eager launch path only; a graph replays without it.
 */
public final class Profiler {
    private static final ThreadLocal<Profiler> ACTIVE = new ThreadLocal<>();

    /** Total milliseconds and launch count per (phase, kernel), in first-seen order. */
    public record Entry(String phase, String kernel, double millis, int launches) {
    }

    private record Pending(String phase, String kernel, CUevent start, CUevent end) {
    }

    private final List<Pending> pending = new ArrayList<>();
    private final Map<String, double[]> totals = new LinkedHashMap<>();
    private String phase = "";

    /** Starts filing launches on this thread; returns this. */
    public Profiler activate() {
        ACTIVE.set(this);
        return this;
    }

    public void deactivate() {
        ACTIVE.remove();
    }

    static Profiler active() {
        return ACTIVE.get();
    }

    static void phase(String name) {
        Profiler p = ACTIVE.get();
        if (p != null) {
            p.phase = name;
        }
    }

    CUevent[] begin(CUstream stream) {
        CUevent start = new CUevent();
        CUevent end = new CUevent();
        cuEventCreate(start, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventCreate(end, CUevent_flags.CU_EVENT_DEFAULT);
        cuEventRecord(start, stream);
        return new CUevent[] {start, end};
    }

    void end(String kernel, CUevent[] events, CUstream stream) {
        cuEventRecord(events[1], stream);
        pending.add(new Pending(phase, kernel, events[0], events[1]));
    }

    /** Collects the timings of everything launched so far (waits for it to finish). */
    public void collect() {
        float[] ms = {0};
        for (Pending p : pending) {
            cuEventSynchronize(p.end());
            cuEventElapsedTime(ms, p.start(), p.end());
            double[] t = totals.computeIfAbsent(p.phase() + "\u0000" + p.kernel(), k -> new double[2]);
            t[0] += ms[0];
            t[1] += 1;
            cuEventDestroy(p.start());
            cuEventDestroy(p.end());
        }
        pending.clear();
    }

    public List<Entry> entries() {
        collect();
        List<Entry> list = new ArrayList<>();
        totals.forEach((k, v) -> {
            String[] parts = k.split("\u0000", 2);
            list.add(new Entry(parts[0], parts[1], v[0], (int) v[1]));
        });
        return list;
    }

    public void reset() {
        collect();
        totals.clear();
    }
}
