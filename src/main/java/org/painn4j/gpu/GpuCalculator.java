package org.painn4j.gpu;

import static jcuda.driver.JCudaDriver.cuCtxSynchronize;
import static jcuda.driver.JCudaDriver.cuGraphDestroy;
import static jcuda.driver.JCudaDriver.cuGraphExecDestroy;
import static jcuda.driver.JCudaDriver.cuGraphInstantiate;
import static jcuda.driver.JCudaDriver.cuGraphLaunch;
import static jcuda.driver.JCudaDriver.cuStreamBeginCapture;
import static jcuda.driver.JCudaDriver.cuStreamCreate;
import static jcuda.driver.JCudaDriver.cuStreamEndCapture;
import static jcuda.driver.JCudaDriver.cuStreamDestroy;
import static jcuda.driver.JCudaDriver.cuStreamSynchronize;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.IntConsumer;
import java.util.function.IntSupplier;
import java.util.function.Supplier;
import jcuda.CudaException;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstream;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.CUstream_flags;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.calc.Precision;
import org.painn4j.calc.Result;
import org.painn4j.calc.Virial;
import org.painn4j.model.Dense;
import org.painn4j.model.PainnModel;
import org.painn4j.model.RadialBasis;
import org.painn4j.structure.NeighborList;
import org.painn4j.structure.Structure;

/**
 * PaiNN on an NVIDIA GPU from painn4j's own kernels, in float32 or float64: the neighbor
 * list, the forward pass and the hand-derived backward pass (docs/derivation.md), all on one
 * stream with no host decision between kernels. Buffers are sized for capacities that grow
 * geometrically and are reused from one call to the next; the only values read back are the
 * results and the list's edge count, once at the end. Not thread-safe: one calculator per thread.
 *
 * <p>{@link #compute(List)} evaluates structures in batches: their atoms one after another, one
 * list for all of them in which no edge joins two structures (small ones found by one block per
 * structure, larger ones by the binned search run structure by structure), the model's kernels once over all atoms, and each structure's energy
 * and virial reduced over its own atoms in the order it has alone, so that every structure gets
 * the bits it gets alone (docs/kernels.md, "Batches").
 */
public final class GpuCalculator implements Calculator {
    private final CudaContext cuda;
    private final PainnModel model;
    private final Precision precision;
    final CUstream stream = new CUstream();
    final DeviceModel weights;
    final NeighborKernels neighbors;
    final RadialKernels radial;
    final MessageKernels message;
    final ElementKernels element;
    final DenseKernels dense;
    final MixingKernels mixing;
    final ReadoutKernels readout;
    /**
     * Nodes off the chain of dependent kernels: the reverse edges, the readout's energy sum,
     * layer 0's GEMMs by elements.
     */
    private final Branch branch;
    /** The branch indexing the list's reverse edges (reverseBeside), until the forces join it. */
    private CUstream reversing;
    /** The one-kernel evaluation of small structures; null where the device or model cannot use it. */
    private final FusedKernels fused;
    private boolean useFused;
    NeighborBuffers list;
    EdgeBuffers edges;
    AtomBuffers atoms;
    private PinnedBuffer hostIn;
    private PinnedBuffer hostOut;
    private boolean poison;
    private boolean graphs = true;
    private CUgraphExec graph;
    private String graphKey;
    private int[] uploadedNumbers;
    private ElementBuffers elementBuffers;
    /**
     * The elements on the device, ascending (layer 0's message by elements); null where there are
     * more than ElementKernels.MAX_ELEMENTS, or none uploaded: the direct layer-0 kernels then.
     */
    private int[] elementList;
    /** Elements of the last evaluation's layer 0 by elements; 0: it took the direct kernels. */
    private int lastElements;
    private boolean byElementsAllowed = true;
    /** The last structure's neighbor search. */
    private NeighborKernels.Search search;
    private boolean pairSearch = true;
    /**
     * Whether the evaluation sums the virial (a structure alone): only a structure periodic along
     * some axis reports it (Result.virial; the stress when fully periodic), so a molecule's
     * evaluation leaves that kernel out. Set per structure by
     * evaluate, and by molecular dynamics before it captures its step.
     */
    boolean virialWanted = true;
    private SearchFrame uploadedFrame;
    private int lastAtoms;
    int lastEdges;
    BatchBuffers batch;
    private PinnedBuffer batchOut;

    /** Atoms of one batch at most: their buffers then take a few hundred MB at F = 128. */
    public static final int BATCH_ATOMS = 8192;

    public GpuCalculator(PainnModel model, Precision precision) {
        this.cuda = CudaContext.shared();
        this.model = model;
        this.precision = precision;
        try {
            cuStreamCreate(stream, CUstream_flags.CU_STREAM_NON_BLOCKING);
            branch = new Branch(stream);
        } catch (CudaException e) {
            throw new GpuException("cannot create a CUDA stream: " + e.getMessage(), e);
        }
        int f = model.config.nAtomBasis();
        int k = model.config.nRbf();
        this.message = new MessageKernels(cuda, precision, f, k);
        this.element = new ElementKernels(cuda, precision);
        this.weights = new DeviceModel(cuda, model, precision);
        this.neighbors = new NeighborKernels(cuda);
        this.radial = new RadialKernels(cuda, precision);
        this.dense = new DenseKernels(cuda, precision);
        this.mixing = new MixingKernels(cuda, precision);
        this.readout = new ReadoutKernels(cuda, precision);
        this.fused = FusedKernels.available(cuda, model) ? new FusedKernels(cuda, model, precision) : null;
        weights.buildTables(dense, stream);
        cuStreamSynchronize(stream);
    }

    @Override
    public String describe() {
        return "gpu " + precision.label();
    }

    public Precision precision() {
        return precision;
    }

    public CudaContext context() {
        return cuda;
    }

    /**
     * When on, every device buffer is filled with NaN before each evaluation, so that a value
     * the kernels failed to write shows up in the results instead of a stale one. For tests.
     */
    public void setPoison(boolean on) {
        this.poison = on;
    }

    /**
     * Whether evaluations replay a CUDA graph (the default): the whole evaluation, position
     * upload and result download included, captured once per atom count, capacity and kind
     * and replayed every call. Off, every kernel is launched one by one; the results are the
     * same bit for bit.
     */
    public void setGraphs(boolean on) {
        this.graphs = on;
        dropGraph();
    }

    /**
     * Whether structures small enough are evaluated by the one-kernel path (fused.cu, on Hopper
     * and newer) rather than kernel by kernel (the default). Both compute the same function;
     * their sums run in different orders, so float32 results differ in the last bits. Off by
     * default: it is not yet faster (docs/performance.md), and batches, whose structures get the
     * bits they get alone, run kernel by kernel.
     */
    public void setFused(boolean on) {
        this.useFused = on;
        dropGraph();
    }

    /**
     * Whether layer 0 goes by elements where it pays (the default; off: the direct layer-0
     * kernels at every size, for comparison). Both give the same results to rounding.
     */
    public void setByElements(boolean on) {
        this.byElementsAllowed = on;
        dropGraph();
    }

    /**
     * Off: the kernels that can run beside the chain (Branch) run in it instead, on the one
     * stream; the results are the same bits either way (GpuCalculatorTest).
     */
    public void setBranches(boolean on) {
        branch.setOn(on);
        dropGraph();
    }

    /**
     * Whether structures past the single-block neighbor search whose candidate pairs are few
     * (NeighborKernels.PAIRS_CANDIDATES) are searched by all pairs (the default) or through bins
     * (for comparison). Both give the same list.
     */
    public void setPairSearch(boolean on) {
        this.pairSearch = on;
        dropGraph();
    }

    /** The neighbor search for n atoms in this frame, for the list cutoff rc. */
    NeighborKernels.Search search(int n, SearchFrame frame, double rc) {
        return NeighborKernels.search(n, frame, rc, pairSearch);
    }

    /**
     * Whether structures of at most MessageKernels.SPLIT_ATOMS atoms split each row of the
     * message kernels over a cluster of blocks (message_split.cu, Hopper; the default) or take
     * the kernels by rows (for comparison). Both compute the same function; their sums over a
     * row run in different orders, so float32 results differ in the last bits.
     */
    public void setSplitMessages(boolean on) {
        message.useSplit(on);
        dropGraph();
    }

    /**
     * Where the dense layers' GEMMs change driver: "perColumnRows R, bigFrom B, midBelow M" (the
     * rows up to which a structure takes the per-column driver; blocks per multiprocessor × 100
     * between the tiled ones). The system properties painn4j.gemm.bigFrom and .midBelow move the
     * latter for measurement with the same bits, painn4j.gemm.perColumnRows the former with other
     * bits for the structures it moves (GemmKernel).
     */
    public static String gemmSwitchPoints() {
        return GemmKernel.switchPoints();
    }

    /**
     * Whether structures of more than MessageKernels.SPLIT_ATOMS atoms take the forward message
     * kernel that forms the filter on the tensor cores (message_tiled.cu: Hopper, F = 128,
     * 17 ≤ K ≤ 20) or message.cu's (the default: faster, performance.md entry 64). Both compute the
     * same function; float32 results differ in the last bits. Returns whether the tiled kernel
     * exists.
     */
    public boolean setTiledMessages(boolean on) {
        dropGraph();
        return message.useTiled(on);
    }

    /**
     * Whether the message kernels compiled for the model's F are used where they exist (the
     * default) or those for any F (the same bits; for tests). Returns whether they exist.
     */
    boolean setExactMessageKernels(boolean on) {
        dropGraph();
        return message.useExact(on);
    }

    /** Block 0's clock (cycles) at each phase boundary of the last one-kernel evaluation. */
    long[] fusedMarks() {
        long[] m = new long[FusedKernels.MARKS];
        fused.marks.download(m);
        return m;
    }

    /** Whether an evaluation of n atoms takes the one-kernel path. */
    public boolean fusedFor(int n) {
        return useFused && fused != null && fused.accepts(n, list == null ? 0 : list.edgeCapacity);
    }

    /** Device memory held by this calculator, in bytes. */
    public long deviceBytes() {
        return weights.bytes() + (fused == null ? 0 : fused.bytes())
                + (list == null ? 0 : list.bytes() + edges.bytes() + atoms.bytes())
                + (elementBuffers == null ? 0 : elementBuffers.bytes())
                + (batch == null ? 0 : batch.bytes());
    }

    @Override
    public Result compute(Structure structure) {
        return evaluate(structure, true);
    }

    @Override
    public double energy(Structure structure) {
        return evaluate(structure, false).energy();
    }

    /**
     * Several structures, evaluated in batches of one class (batchClass) and at most BATCH_ATOMS
     * atoms: one graph replay and one read-back per batch, every structure with the bits it gets
     * from {@link #compute} alone. A structure without partners of its class, or larger than a
     * batch, is evaluated alone. A refusal names the structure's index.
     */
    @Override
    public List<Result> compute(List<Structure> structures) {
        cuda.makeCurrent();
        int count = structures.size();
        SearchFrame[] frames = new SearchFrame[count];
        int[] classes = new int[count];
        for (int i = 0; i < count; i++) {
            Structure s = structures.get(i);
            try {
                model.checkAtomicNumbers(s.numbers());
                frames[i] = SearchFrame.of(s);
                checkCell(frames[i], model.config.cutoff());
            } catch (InputException e) {
                throw new InputException("structure " + i + ": " + e.getMessage(), e);
            }
            classes[i] = batchClass(s.size(), frames[i], model.config.cutoff());
        }
        Result[] results = new Result[count];
        Map<Integer, List<Integer>> open = new LinkedHashMap<>();
        Map<Integer, Integer> openAtoms = new LinkedHashMap<>();
        for (int i = 0; i < count; i++) {
            int c = classes[i];
            int n = structures.get(i).size();
            if (c < 0) {
                results[i] = alone(structures, i);
                continue;
            }
            List<Integer> group = open.computeIfAbsent(c, key -> new ArrayList<>());
            if (!group.isEmpty() && openAtoms.get(c) + n > BATCH_ATOMS) {
                evaluateGroup(structures, frames, group, results);
                group.clear();
                openAtoms.put(c, 0);
            }
            group.add(i);
            openAtoms.merge(c, n, Integer::sum);
        }
        for (List<Integer> group : open.values()) {
            evaluateGroup(structures, frames, group, results);
        }
        return Arrays.asList(results);
    }

    /**
     * Which structures may share a batch: those of the same class, -1 for none. A batch takes
     * structures of one neighbor search — the single-block search (at most 128 atoms, few
     * candidates, classes 0–2) or the binned one, run structure by structure (classes 3–5) —
     * and of one size class — at most SMALL_ROWS / 3 atoms, at most SMALL_ROWS, more — so that
     * each of its dense layers runs the kernel that each of its structures runs alone
     * (denseForward).
     */
    static int batchClass(int n, SearchFrame frame, double rc) {
        if (n == 0) {
            return -1;
        }
        int size = n <= GemmKernel.SMALL_ROWS / 3 ? 0 : n <= GemmKernel.SMALL_ROWS ? 1 : 2;
        return NeighborKernels.small(n, frame, rc) ? size : BINNED_CLASSES + size;
    }

    /** Batch classes from this one on are searched by the binned kernels. */
    static final int BINNED_CLASSES = 3;

    /** The batch class of a structure for this model; -1 (alone) also for one the GPU refuses. */
    public int batchClass(Structure s) {
        return batchClass(s, model.config.cutoff());
    }

    /** The batch class of a structure for a model of cutoff rc. */
    public static int batchClass(Structure s, double rc) {
        try {
            SearchFrame frame = SearchFrame.of(s);
            checkCell(frame, rc);
            return batchClass(s.size(), frame, rc);
        } catch (InputException e) {
            return -1;
        }
    }

    private Result alone(List<Structure> structures, int i) {
        try {
            return evaluate(structures.get(i), true);
        } catch (InputException e) {
            throw new InputException("structure " + i + ": " + e.getMessage(), e);
        }
    }

    private void evaluateGroup(List<Structure> structures, SearchFrame[] frames, List<Integer> group,
                               Result[] results) {
        if (group.size() == 1) {
            results[group.get(0)] = alone(structures, group.get(0));
            return;
        }
        List<Structure> members = new ArrayList<>(group.size());
        SearchFrame[] memberFrames = new SearchFrame[group.size()];
        for (int k = 0; k < group.size(); k++) {
            members.add(structures.get(group.get(k)));
            memberFrames[k] = frames[group.get(k)];
        }
        List<Result> out = evaluateBatch(members, memberFrames, group);
        for (int k = 0; k < group.size(); k++) {
            results[group.get(k)] = out.get(k);
        }
    }

    /** One batch: one graph replay (recaptured when its shape or a capacity changes), one read-back. */
    private List<Result> evaluateBatch(List<Structure> group, SearchFrame[] frames, List<Integer> index) {
        int n = 0;
        for (Structure s : group) {
            n += s.size();
        }
        int edgeGuess = list == null ? Math.max(1024, n * 48) : list.edgeCapacity;
        int largest = group.stream().mapToInt(Structure::size).max().orElse(0);
        int total = n;
        try {
            ensureCapacity(n, edgeGuess);
            ensureBatch(group.size(), n, largest);
            uploadBatch(group, frames);
            // the binned search's launches are sized per structure: its graph holds the sizes
            int edgeCount = runUntilFits(
                    () -> "batch/" + batch.structures() + "/" + total + "/" + batch.largest() + "/" + list.edgeCapacity
                            + "/" + atoms.capacity + "/" + batch.structureCapacity + "/" + batch.atomCapacity + "/"
                            + batch.largestCapacity + "/" + poison
                            + (batch.binned() ? "/" + Arrays.toString(batch.starts()) : "") + elementKey(),
                    this::runBatch, () -> batchOut.data.getInt(0), count -> {
                        ensureCapacity(total, count + count / 4);
                        ensureBatch(group.size(), total, largest);
                        uploadBatch(group, frames);
                    });
            lastAtoms = n;
            lastEdges = edgeCount;
            return batchResults(group, index);
        } catch (CudaException e) {
            throw new GpuException("GPU evaluation failed: " + e.getMessage(), e);
        }
    }

    /** Batch buffers for s structures of n atoms in all, the largest of them `largest`; capacities grow by half again. */
    private void ensureBatch(int s, int n, int largest) {
        if (batch != null && batch.structureCapacity >= s && batch.atomCapacity >= n && batch.largestCapacity >= largest) {
            return;
        }
        dropGraph();
        int structureCap = batch != null && batch.structureCapacity >= s ? batch.structureCapacity
                : Math.max(s + s / 2, 8);
        int atomCap = Math.max(atoms.capacity, n);
        int largestCap = batch != null && batch.largestCapacity >= largest ? batch.largestCapacity
                : largest + largest / 2;
        if (batch != null) {
            batch.close();
            batchOut.close();
        }
        batch = new BatchBuffers(cuda, structureCap, atomCap, largestCap);
        batchOut = new PinnedBuffer("batch results", 16 + BatchBuffers.resultBytes(structureCap) + 32L * atomCap);
    }

    /**
     * The batch's positions into pinned memory (copied inside the evaluation), its species and
     * frames onto the device when they differ from the last batch's.
     */
    private void uploadBatch(List<Structure> group, SearchFrame[] frames) {
        ByteBuffer in = hostIn.data;
        int at = 0;
        for (Structure s : group) {
            for (int i = 0; i < 3 * s.size(); i++) {
                in.putDouble(8 * at++, s.position(i / 3, i % 3));
            }
        }
        if (batch.upload(group, frames, list.numbers, binned(group, frames))) {
            uploadElements(group.stream().map(Structure::numbers).toList());
            // synchronous copies run on the legacy stream, which the evaluation's stream does not wait for
            cuCtxSynchronize();
            uploadedNumbers = null;
            uploadedFrame = null;
            enqueueElementTables();
        }
    }

    /** Whether a batch (of one class) is searched by the binned kernels. */
    private boolean binned(List<Structure> group, SearchFrame[] frames) {
        return batchClass(group.get(0).size(), frames[0], model.config.cutoff()) >= BINNED_CLASSES;
    }

    /** The whole batched evaluation, enqueued on the stream; results land in batchOut. */
    private void runBatch() {
        int n = batch.atoms();
        hostIn.toDevice(list.pos, 24L * n, stream);
        enqueueBatch(n, list.pos);
        Profiler.phase("transfers");
        long results = BatchBuffers.resultBytes(batch.structureCapacity);
        jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(batchOut.ptr, list.status.ptr, 16, stream);
        jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(batchOut.ptr.withByteOffset(16), batch.results.ptr, results, stream);
        jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(batchOut.ptr.withByteOffset(16 + results), atoms.energies.ptr,
                8L * n, stream);
        jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(batchOut.ptr.withByteOffset(16 + results + 8L * n),
                atoms.forces.ptr, 24L * n, stream);
    }

    /** The batch's list, forward and backward passes at pos. */
    private void enqueueBatch(int n, DeviceBuffer pos) {
        if (poison) {
            poison();
            list.rowCount.fill32(Real.NAN_PATTERN, stream);
            for (DeviceBuffer b : batch.outputs()) {
                b.fill32(Real.NAN_PATTERN, stream);
            }
        }
        Profiler.phase("neighbor list");
        batchList(pos, true);
        enqueueModel(n, true, pos, batch);
    }

    private List<Result> batchResults(List<Structure> group, List<Integer> index) {
        ByteBuffer out = batchOut.data;
        int cap = batch.structureCapacity;
        int s = group.size();
        int at = 16;
        for (int b = 0; b < s; b++) {
            long pair = out.getLong(at + 8 * b);
            if (pair != -1L) {
                throw coincident("structure " + index.get(b) + ": ", pair);
            }
        }
        int n = batch.atoms();
        int perAtom = at + (int) BatchBuffers.resultBytes(cap);
        int forcesAt = perAtom + 8 * n;
        List<Result> results = new ArrayList<>(s);
        int first = 0;
        for (int b = 0; b < s; b++) {
            Structure st = group.get(b);
            int m = st.size();
            double[] energies = new double[m];
            for (int i = 0; i < m; i++) {
                energies[i] = out.getDouble(perAtom + 8 * (first + i));
            }
            double[] forces = new double[3 * m];
            for (int i = 0; i < 3 * m; i++) {
                forces[i] = out.getDouble(forcesAt + 8 * (3 * first + i));
            }
            double[] virial = new double[9];
            for (int k = 0; k < 9; k++) {
                virial[k] = out.getDouble(at + 16 * cap + 8 * (9 * b + k));
            }
            double energy = out.getDouble(at + 8 * cap + 8 * b);
            int edgeCount = out.getInt(at + 88 * cap + 4 * b);
            results.add(new Result(energy, energies, forces, Virial.stress(st, virial), Virial.symmetric(st, virial),
                    edgeCount));
            first += m;
        }
        return results;
    }

    /**
     * For molecular dynamics of several replicas: makes the buffers ready for these structures
     * (all of one batch class) as one batch, with room for at least edgesNeeded edges,
     * and their species and frames current on the device. Their positions are the caller's.
     */
    void prepareBatch(List<Structure> group, int edgesNeeded) {
        cuda.makeCurrent();
        SearchFrame[] frames = new SearchFrame[group.size()];
        int n = 0;
        int largest = 0;
        for (int b = 0; b < group.size(); b++) {
            Structure s = group.get(b);
            model.checkAtomicNumbers(s.numbers());
            frames[b] = SearchFrame.of(s);
            checkCell(frames[b], model.config.cutoff());
            if (batchClass(s.size(), frames[b], model.config.cutoff()) < 0) {
                throw new IllegalArgumentException("structure " + b + " does not suit a batch");
            }
            n += s.size();
            largest = Math.max(largest, s.size());
        }
        ensureCapacity(n, edgesNeeded);
        ensureBatch(group.size(), n, largest);
        if (batch.upload(group, frames, list.numbers, binned(group, frames))) {
            uploadElements(group.stream().map(Structure::numbers).toList());
            cuCtxSynchronize();
            uploadedNumbers = null;
            uploadedFrame = null;
            enqueueElementTables();
        }
    }

    /** The list of the prepared batch at pos, coincident atoms added to those found before. */
    void enqueueBatchList(DeviceBuffer pos) {
        batchList(pos, false);
    }

    /** The batch's list at pos; the binned search's reverse edges beside the model. */
    private void batchList(DeviceBuffer pos, boolean clearError) {
        neighbors.buildBatch(stream, list, batch, pos, model.config.cutoff(), NeighborList.MIN_DISTANCE, clearError);
        if (batch.binned()) {
            reverseBeside(list, batch.atoms(), null);
        }
    }

    private Result evaluate(Structure structure, boolean backward) {
        cuda.makeCurrent();
        int n = structure.size();
        model.checkAtomicNumbers(structure.numbers());
        SearchFrame frame = SearchFrame.of(structure);
        double rc = model.config.cutoff();
        checkCell(frame, rc);
        search = search(n, frame, rc);
        virialWanted = structure.anyPeriodic();
        int edgeGuess = list == null ? Math.max(1024, n * 48) : list.edgeCapacity;
        ensureCapacity(n, edgeGuess);
        try {
            upload(structure, frame);
            int edgeCount = runUntilFits(
                    () -> n + "/" + list.edgeCapacity + "/" + atoms.capacity + "/" + backward + "/" + poison + "/"
                            + search + "/" + virialWanted + "/" + fusedFor(n) + elementKey(),
                    () -> run(n, backward), () -> hostOut.data.getInt((int) AtomBuffers.STATUS_AT), count -> {
                        ensureCapacity(n, count + count / 4);
                        upload(structure, frame);
                    });
            lastAtoms = n;
            lastEdges = edgeCount;
            return result(structure, edgeCount, backward);
        } catch (CudaException e) {
            throw new GpuException("GPU evaluation failed: " + e.getMessage(), e);
        }
    }

    /**
     * Runs an evaluation until its list fits: a replay of the graph of `key` (captured from
     * `enqueue` when the key is new), or `enqueue` kernel by kernel while profiling or without
     * graphs; then the edge count read back, and when the list outgrew its capacity, `grow`
     * (given the count) and another run. Returns the edge count.
     */
    private int runUntilFits(Supplier<String> key, Runnable enqueue, IntSupplier edgeCount, IntConsumer grow) {
        while (true) {
            if (graphs && Profiler.active() == null) {
                replay(key.get(), enqueue);
            } else {
                enqueue.run();
            }
            cuStreamSynchronize(stream);
            int count = edgeCount.getAsInt();
            if (count <= list.edgeCapacity) {
                return count;
            }
            grow.accept(count);
        }
    }

    /** Launches the graph of key, capturing `enqueue` into it first when the key is new. */
    private void replay(String key, Runnable enqueue) {
        if (!key.equals(graphKey)) {
            dropGraph();
            CUgraph g = new CUgraph();
            cuStreamBeginCapture(stream, CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
            try {
                enqueue.run();
            } finally {
                cuStreamEndCapture(stream, g);
            }
            graph = new CUgraphExec();
            cuGraphInstantiate(graph, g, 0);
            cuGraphDestroy(g);
            graphKey = key;
        }
        cuGraphLaunch(graph, stream);
    }

    private void dropGraph() {
        if (graph != null) {
            cuda.makeCurrent();
            cuGraphExecDestroy(graph);
            graph = null;
        }
        graphKey = null;
    }


    /**
     * Makes the buffers ready for n atoms and at least edgesNeeded edges, and the structure's
     * species and cell current on the device; returns whether its list suits the single-block
     * search. For callers that keep positions on the device (molecular dynamics).
     */
    boolean prepare(Structure s, int edgesNeeded, double listCutoff) {
        cuda.makeCurrent();
        model.checkAtomicNumbers(s.numbers());
        SearchFrame frame = SearchFrame.of(s);
        checkCell(frame, listCutoff);
        ensureCapacity(s.size(), edgesNeeded);
        upload(s, frame);
        return NeighborKernels.small(s.size(), frame, model.config.cutoff());
    }

    public PainnModel model() {
        return model;
    }

    /** Keeps every bin-wrap shift of the row sort within its 8 bits (neighbors.cu). */
    static void checkCell(SearchFrame frame, double listCutoff) {
        for (int a = 0; a < 3; a++) {
            if (frame.pbc()[a] == 1 && listCutoff / frame.planes()[a] > 100) {
                throw new InputException("the cell is thinner than cutoff/100 along lattice vector " + "abc".charAt(a)
                        + "; the GPU neighbor search does not take such cells (use --device cpu)");
            }
        }
    }

    int edgeCapacity() {
        return list == null ? 0 : list.edgeCapacity;
    }

    /** Capacities grow by half again what is asked, so that a growing system reallocates rarely. */
    private void ensureCapacity(int n, int edgesNeeded) {
        boolean atomsFit = atoms != null && atoms.capacity >= n;
        boolean edgesFit = list != null && list.edgeCapacity >= edgesNeeded;
        if (atomsFit && edgesFit) {
            return;
        }
        dropGraph();
        uploadedNumbers = null;
        uploadedFrame = null;
        if (batch != null) {
            batch.forget();
        }
        int atomCap = atomsFit ? atoms.capacity : Math.max(n + n / 2, 16);
        int edgeCap = edgesFit ? list.edgeCapacity : Math.max(edgesNeeded + edgesNeeded / 2, 1024);
        if (list != null) {
            list.close();
            edges.close();
        }
        list = new NeighborBuffers(cuda, atomCap, edgeCap);
        edges = new EdgeBuffers(cuda, precision, edgeCap, model.config.nRbf());
        if (!atomsFit) {
            if (atoms != null) {
                atoms.close();
                hostIn.close();
                hostOut.close();
            }
            atoms = new AtomBuffers(cuda, precision, model, atomCap);
            if (elementBuffers != null) {
                elementBuffers.close();
                elementBuffers = null;
            }
            elementList = null;
            hostIn = new PinnedBuffer("positions", 24L * atomCap);
            hostOut = new PinnedBuffer("results", 128 + 32L * atomCap);
        }
        if (fused != null) {
            fused.bind(cuda, weights, list, edges, atoms);
        }
    }

    /**
     * Positions go to pinned memory, copied to the device inside the evaluation; species and
     * cell only when they change, since a synchronous copy costs as much as a small evaluation.
     */
    private void upload(Structure s, SearchFrame frame) {
        int n = s.size();
        ByteBuffer in = hostIn.data;
        for (int i = 0; i < 3 * n; i++) {
            in.putDouble(8 * i, s.position(i / 3, i % 3));
        }
        int[] z = s.numbers();
        if (!Arrays.equals(z, uploadedNumbers) || !frame.equals(uploadedFrame)) {
            list.upload(z, frame);
            uploadElements(List.of(z));
            if (batch != null) {
                batch.forget();
            }
            // synchronous copies run on the legacy stream, which the evaluation's stream does not wait for
            cuCtxSynchronize();
            uploadedNumbers = z;
            uploadedFrame = frame;
            enqueueElementTables();
        }
    }

    /**
     * The elements of these structures (one after another on the device), ascending, and each
     * atom's slot among them: copied synchronously; enqueueElementTables then forms Ma and Mb on
     * the stream. More than ElementKernels.MAX_ELEMENTS: none (the direct layer-0 kernels).
     */
    private void uploadElements(List<int[]> numbers) {
        TreeSet<Integer> present = new TreeSet<>();
        int total = 0;
        for (int[] z : numbers) {
            for (int v : z) {
                present.add(v);
            }
            total += z.length;
        }
        if (present.size() > ElementKernels.MAX_ELEMENTS || total == 0) {
            elementList = null;
            return;
        }
        int[] list = present.stream().mapToInt(Integer::intValue).toArray();
        int width = ElementKernels.width(list.length, model.config.nRbf());
        if (elementBuffers == null || elementBuffers.width < width) {
            // sized for the elements at hand (a captured graph holds the old buffers' addresses)
            dropGraph();
            if (elementBuffers != null) {
                elementBuffers.close();
            }
            elementBuffers = new ElementBuffers(cuda, precision, atoms.capacity, model.config.nAtomBasis(), width);
        }
        int[] slots = new int[total];
        int at = 0;
        for (int[] z : numbers) {
            for (int v : z) {
                slots[at++] = Arrays.binarySearch(list, v);
            }
        }
        elementBuffers.slot.upload(slots);
        elementBuffers.elements.upload(Arrays.copyOf(list, ElementKernels.MAX_ELEMENTS));
        elementList = list;
    }

    /** The buffers of layer 0 by elements (null before any structure), for the microbenchmarks. */
    ElementBuffers elementBuffers() {
        return elementBuffers;
    }

    /** The last structure's neighbor search. */
    NeighborKernels.Search lastSearch() {
        return search;
    }

    /** Elements of the last evaluation's layer 0 by elements; 0 where it took the direct kernels. */
    int lastElements() {
        return lastElements;
    }

    /** What a captured graph holds of the elements: their count is a kernel argument. */
    private String elementKey() {
        return "/elements " + (elementList == null ? 0 : elementList.length);
    }

    /** Ma and Mb of the uploaded elements, on the stream (after the synchronous copies). */
    private void enqueueElementTables() {
        if (elementList != null) {
            element.weights(stream, model.config.nAtomBasis(), model.config.nRbf(), elementList.length, weights,
                    elementBuffers);
        }
    }

    /**
     * Whether layer 0 goes by elements: for structures on the tiled GEMMs (a batch: its largest,
     * like the dense layers, so that every structure gets the bits it gets alone), where the
     * structure holds few enough elements. Small structures keep the direct kernels: their cost
     * is launches, and this form has two more; from 128 to 512 atoms the two forms measured
     * within 2 %, above that this one gains (docs/performance.md, entry 29).
     */
    private boolean byElements(int shape) {
        return byElementsAllowed && elementList != null && !perColumn(1, shape);
    }

    /** The whole evaluation, enqueued on the stream; results land in hostOut. */
    private void run(int n, boolean backward) {
        hostIn.toDevice(list.pos, 24L * n, stream);
        enqueue(n, backward, list.pos, model.config.cutoff(), search, null);
        Profiler.phase("transfers");
        // one copy: the header (with the list's status, which the readout put there), the
        // energies' whole capacity, then the forces of n atoms
        long bytes = AtomBuffers.RESULTS_HEADER + 8L * (backward && n > 0 ? atoms.capacity + 3L * n : n);
        jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(hostOut.ptr, atoms.results.ptr, bytes, stream);
        if (fusedFor(n)) {
            // the one-kernel path has no readout kernel to bring the status along
            jcuda.driver.JCudaDriver.cuMemcpyDtoHAsync(hostOut.ptr.withByteOffset(AtomBuffers.STATUS_AT),
                    list.status.ptr, 16, stream);
        }
    }

    /**
     * One evaluation of the n atoms at pos, enqueued on the stream: the neighbor list (for
     * listCutoff ≥ rc, with its rebuild flag; see NeighborKernels.build), the forward pass and,
     * when backward, forces and virial into the results buffer. Nothing crosses the bus.
     */
    void enqueue(int n, boolean backward, DeviceBuffer pos, double listCutoff, NeighborKernels.Search search,
                 DeviceBuffer rebuild) {
        if (poison) {
            poison();
        }
        Profiler.phase("neighbor list");
        neighbors.build(stream, list, pos, n, listCutoff, NeighborList.MIN_DISTANCE, search, rebuild, true);
        if (search != NeighborKernels.Search.SMALL) {
            reverseBeside(list, n, rebuild);
        }
        enqueueModel(n, backward, pos, null);
    }

    private void poison() {
        for (DeviceBuffer b : atoms.all()) {
            b.fill32(Real.NAN_PATTERN, stream);
        }
        for (DeviceBuffer b : new DeviceBuffer[] {edges.d, edges.u, edges.phi, edges.dphi, edges.fc, edges.dfc,
            edges.gd, edges.gU, list.center, list.neighbor, list.image, list.reverse, list.rowStart, list.status}) {
            b.fill32(Real.NAN_PATTERN, stream);
        }
        ElementBuffers eb = elementBuffers;
        if (eb != null) {
            for (DeviceBuffer b : new DeviceBuffer[] {eb.p, eb.q, eb.ra, eb.rb}) {
                b.fill32(Real.NAN_PATTERN, stream);
            }
        }
    }

    /**
     * The model on the list already in place: radial basis, forward and backward passes. With a
     * batch (null: one structure), energies and virials go to it per structure, and the kernels
     * whose choice depends on the atom count are chosen for its largest structure.
     */
    void enqueueModel(int n, boolean backward, DeviceBuffer pos, BatchBuffers batch) {
        if (batch == null && fusedFor(n)) {
            // forces come with the energy at no extra launch, so the fused path always computes them
            Profiler.phase("fused");
            fused.launch(stream, n, pos);
            branch.joinAll();
            reversing = null;
            return;
        }
        int shape = batch == null ? n : batch.largest();
        lastElements = byElements(shape) ? elementList.length : 0;
        int f = model.config.nAtomBasis();
        int k = model.config.nRbf();
        int layers = model.config.nInteractions();
        double rc = model.config.cutoff();
        Profiler.phase("edge features");
        int basis = model.config.radialBasis() == RadialBasis.GAUSSIAN ? 0 : 1;
        radial.forward(stream, list, batch, pos, n, k, basis, rc, weights.mu, weights.sigma, edges);
        AtomBuffers a = atoms;
        Profiler.phase("forward");
        CUstream sideways = null;
        for (int l = 0; l < layers; l++) {
            if (l == 0 && byElements(shape)) {
                // radial sums by the neighbor's element, then s' = P·Ma (s⁰ through the one-hot
                // columns) and v' = Q·Mb
                ElementBuffers eb = elementBuffers;
                int count = elementList.length;
                int width = ElementKernels.width(count, k);
                element.sums(stream, n, k, count, list, edges, eb);
                // s' beside v' and its channel mix: the norm step is the first to read both
                sideways = branch.fork();
                dense.backward(sideways, n, perColumn(1, shape), f, width, eb.p, eb.ma, null, null, a.sMid[0]);
                denseBackward(n, 3, shape, f, width, eb.q, eb.mb, null, null, a.vMid[0]);
            } else if (l == 0) {
                // s⁰, h⁰, x⁰ depend on Z alone: per-element tables; v⁰ = 0
                message.forward(stream, n, shape, f, k, list, edges, weights, 0, weights.xTable, list.numbers,
                        weights.embedding, list.numbers, null, a.sMid[0], a.vMid[0]);
            } else {
                denseForward(n, 1, shape, f, f, a.s[l], false, weights.c1w[l], weights.c1b[l], null, a.hPre[l],
                        a.hidden[0]);
                denseForward(n, 1, shape, 3 * f, f, a.hidden[0], false, weights.c2w[l], weights.c2b[l], null, a.x[l],
                        null);
                message.forward(stream, n, shape, f, k, list, edges, weights, l, a.x[l], null, a.s[l], null, a.v[l],
                        a.sMid[l], a.vMid[l]);
            }
            denseForward(n, 3, shape, 2 * f, f, a.vMid[l], false, weights.mixW[l], null, null, a.vu[l], null);
            if (sideways != null) {
                branch.join(sideways);
                sideways = null;
            }
            mixing.normForward(stream, n, f, model.config.epsilon(), a.sMid[l], a.vu[l], a.ctx, a.norm[l], a.dot[l]);
            denseForward(n, 1, shape, f, 2 * f, a.ctx, false, weights.m1w[l], weights.m1b[l], null, a.a3[l],
                    a.hidden[0]);
            mixing.updateForward(stream, n, perColumn(1, shape), f, a.hidden[0], weights.m2w[l], weights.m2b[l], a.dot[l],
                    a.vu[l], a.sMid[l], a.vMid[l], a.y[l], a.s[l + 1], a.v[l + 1]);
        }
        readoutForward(n, shape, batch, backward);
        if (backward) {
            Profiler.phase("backward");
            backward(n, shape, f, k, layers, pos, batch);
        }
        branch.joinAll();
        reversing = null;
    }

    /**
     * The reverse edges of a list from the binned search or a filter, which only the forces
     * read: on a branch beside the model, joined before the forces.
     */
    void reverseBeside(NeighborBuffers b, int n, DeviceBuffer rebuild) {
        reversing = branch.fork();
        neighbors.reverse(reversing, b, n, rebuild);
    }

    /**
     * Dense layers over n atoms of `per` rows each (3 for vector features). A structure alone
     * gets the per-column kernels when it has at most GemmKernel.SMALL_ROWS rows, else the tiled
     * ones, and either computes each row apart from the others: so a batch whose largest
     * structure has `shape` atoms gives every structure its own bits when it runs, on all its
     * rows, the kernel each structure runs alone. (A batch holds structures of one size class,
     * batchClass, so that this kernel is the same for all of them.)
     */
    private void denseForward(int n, int per, int shape, int out, int in, DeviceBuffer x, boolean silu,
                              DeviceBuffer w, DeviceBuffer bias, DeviceBuffer residual, DeviceBuffer y,
                              DeviceBuffer yAct) {
        dense.forward(stream, per * n, perColumn(per, shape), out, in, x, silu, w, bias, residual, y, yAct);
    }

    private void denseBackward(int n, int per, int shape, int in, int out, DeviceBuffer gy, DeviceBuffer w,
                               DeviceBuffer pre, DeviceBuffer residual, DeviceBuffer gx) {
        dense.backward(stream, per * n, perColumn(per, shape), in, out, gy, w, pre, residual, gx);
    }

    /** Whether the largest structure of a batch, `shape` atoms of `per` rows, gets the per-column kernels alone. */
    private static boolean perColumn(int per, int shape) {
        return GemmKernel.perColumn(per * shape);
    }

    /**
     * The readout's hidden layers, then its last layer and the energy sum beside the chain. With
     * the backward pass to follow, the last hidden layer writes the adjoint of its output
     * (gRead, dense.cu's primeScale) instead of its pre-activation: ∂E/∂y = 1 for every atom, so
     * the last layer's backward step needs no kernel of its own.
     */
    private void readoutForward(int n, int shape, BatchBuffers batch, boolean backward) {
        Dense[] out = model.outnet;
        AtomBuffers a = atoms;
        int last = out.length - 1;
        // each hidden layer stores silu of its output for the next, in the hidden buffer the previous did not
        DeviceBuffer h = a.s[model.config.nInteractions()];
        for (int i = 0; i < last; i++) {
            DeviceBuffer act = a.hidden[i % a.hidden.length];
            boolean folded = backward && i == last - 1;
            dense.forward(stream, n, perColumn(1, shape), out[i].out(), out[i].in(), h, false, weights.outW[i],
                    weights.outB[i], null, folded ? a.gRead[i] : a.outPre[i], act, folded ? weights.outW[last] : null);
            h = act;
        }
        // the backward pass starts from the hidden layers' pre-activations and gRead: the last
        // layer and the energy sum run beside it, joined at the end of the evaluation
        CUstream side = branch.fork();
        dense.forward(side, n, perColumn(1, shape), 1, out[last].in(), h, false, weights.outW[last],
                weights.outB[last], null, a.yOut, null);
        if (batch == null) {
            readout.energies(side, n, list.numbers, a.yOut, weights.shift, a.energies, a.energy, list.status,
                    a.listStatus);
        } else {
            readout.energies(side, n, batch, list.numbers, a.yOut, weights.shift, a.energies);
        }
    }

    private void backward(int n, int shape, int f, int k, int layers, DeviceBuffer pos, BatchBuffers batch) {
        AtomBuffers a = atoms;
        Dense[] out = model.outnet;
        // ∂E/∂y = 1 through the last layer: gRead[last − 1], written by the readout's forward pass
        DeviceBuffer g = out.length > 1 ? a.gRead[out.length - 2] : a.seed;
        for (int i = out.length - 2; i >= 1; i--) {
            denseBackward(n, 1, shape, out[i].in(), out[i].out(), g, weights.outW[i], a.outPre[i - 1], null, a.gRead[i - 1]);
            g = a.gRead[i - 1];
        }
        denseBackward(n, 1, shape, f, out[0].out(), g, weights.outW[0], null, null, a.gs[layers]);
        for (int l = layers - 1; l >= 0; l--) {
            // v̄ of the last layer's output is 0: passed as null, read as zeros
            DeviceBuffer gvOut = l == layers - 1 ? null : a.gv[l + 1];
            mixing.prepBackward(stream, n, f, a.gs[l + 1], gvOut, a.y[l], a.vu[l], a.dot[l], a.gy, a.gvu);
            denseBackward(n, 1, shape, f, 3 * f, a.gy, weights.m2w[l], a.a3[l], null, a.gh);
            denseBackward(n, 1, shape, 2 * f, f, a.gh, weights.m1w[l], null, null, a.gctx);
            mixing.normBackward(stream, n, f, a.gs[l + 1], a.gctx, a.vu[l], a.norm[l], a.gsMid[l], a.gvu);
            boolean elements = l == 0 && byElements(shape);
            CUstream sideways = null;
            if (elements) {
                // RA = s̄'·Maᵀ (the transpose read as stored) beside v̄' and RB
                ElementBuffers eb = elementBuffers;
                sideways = branch.fork();
                dense.backward(sideways, n, perColumn(1, shape), ElementKernels.width(elementList.length, k), f,
                        a.gsMid[0], eb.maT, null, null, eb.ra);
            }
            denseBackward(n, 3, shape, f, 2 * f, a.gvu, weights.mixW[l], null, gvOut, a.gvMid[l]);
            boolean first = l == layers - 1;
            if (elements) {
                // RB = v̄'·Mbᵀ, then ∂E/∂d, ∂E/∂u edge by edge
                ElementBuffers eb = elementBuffers;
                int count = elementList.length;
                int width = ElementKernels.width(count, k);
                denseBackward(n, 3, shape, width, f, a.gvMid[0], eb.mbT, null, null, eb.rb);
                branch.join(sideways);
                element.backward(stream, n, k, count, list, edges, eb, first);
            } else if (l == 0) {
                // the embedding does not depend on the positions: no ∂E/∂s⁰, ∂E/∂v⁰, ∂E/∂x⁰ needed
                message.backward(stream, n, shape, f, k, list, edges, weights, 0, weights.xTable, list.numbers, null,
                        a.gsMid[0], a.gvMid[0], first, false, null, null);
            } else {
                message.backward(stream, n, shape, f, k, list, edges, weights, l, a.x[l], null, a.v[l], a.gsMid[l],
                        a.gvMid[l], first, true, a.gv[l], a.gx);
                denseBackward(n, 1, shape, f, 3 * f, a.gx, weights.c2w[l], a.hPre[l], null, a.gh);
                denseBackward(n, 1, shape, f, f, a.gh, weights.c1w[l], null, a.gsMid[l], a.gs[l]);
            }
        }
        if (reversing != null) {
            branch.join(reversing);
            reversing = null;
        }
        if (batch == null) {
            radial.forces(stream, list, pos, n, edges, a.forces, a.forcePartial, virialWanted ? a.virial : null);
        } else {
            radial.forces(stream, list, batch, pos, n, edges, a.forces);
        }
    }

    /**
     * The refusal of a pair of coincident atoms found by the neighbor search (indices i << 32 | j),
     * naming the atoms (one where an atom meets its own periodic image); `where` goes before the
     * message ("structure 3: " in a batch, else "").
     */
    static InputException coincident(String where, long pair) {
        int i = (int) (pair >>> 32);
        int j = (int) pair;
        return i == j
                ? InputException.atAtoms(where + "atom " + i + " is at the same position as one of its periodic images", i)
                : InputException.atAtoms(where + "atoms " + i + " and " + j + " are at the same position (closer than "
                        + NeighborList.MIN_DISTANCE + " Å)", i, j);
    }

    private Result result(Structure s, int edgeCount, boolean backward) {
        int n = s.size();
        // hostOut as AtomBuffers.results: energy, virial, the list's status, energies, forces
        ByteBuffer out = hostOut.data;
        long pair = out.getLong((int) AtomBuffers.STATUS_AT + 8);
        if (pair != -1L) {
            throw coincident("", pair);
        }
        double energy = out.getDouble(0);
        double[] energies = new double[n];
        int base = (int) AtomBuffers.RESULTS_HEADER;
        for (int i = 0; i < n; i++) {
            energies[i] = out.getDouble(base + 8 * i);
        }
        if (!backward) {
            return new Result(energy, energies, null, null, null, edgeCount);
        }
        double[] forces = new double[3 * n];
        base += 8 * atoms.capacity;
        for (int i = 0; i < 3 * n; i++) {
            forces[i] = out.getDouble(base + 8 * i);
        }
        double[] virial = new double[9];
        for (int i = 0; i < 9; i++) {
            virial[i] = out.getDouble(8 + 8 * i);
        }
        return new Result(energy, energies, forces, Virial.stress(s, virial), Virial.symmetric(s, virial), edgeCount);
    }

    /**
     * Every intermediate tensor of the last evaluation, by name, widened to double: what the
     * tests compare stage by stage with the CPU reference. Names follow docs/kernels.md.
     */
    Map<String, double[]> tensors() {
        cuda.makeCurrent();
        int n = lastAtoms;
        int e = lastEdges;
        int f = model.config.nAtomBasis();
        int k = model.config.nRbf();
        int layers = model.config.nInteractions();
        Map<String, double[]> t = new LinkedHashMap<>();
        t.put("rowStart", ints(list.rowStart, n + 1));
        t.put("neighbor", ints(list.neighbor, e));
        t.put("image", ints(list.image, 3 * e));
        t.put("reverse", ints(list.reverse, e));
        EdgeBuffers g = edges;
        put(t, "d", g.d, e);
        put(t, "u", g.u, 3 * e);
        put(t, "phi", g.phi, e * k);
        put(t, "dphi", g.dphi, e * k);
        put(t, "fc", g.fc, e);
        put(t, "dfc", g.dfc, e);
        put(t, "gd", g.gd, e);
        put(t, "gU", g.gU, 3 * e);
        AtomBuffers a = atoms;
        // layer 0 reads per-element tables: expand them to atoms for comparison
        int[] z = new int[n];
        if (n > 0) {
            list.numbers.download(z);
        }
        int rows = model.embeddingRows;
        t.put("s0", byAtom(Real.download(precision, weights.embedding, rows * f), z, f));
        t.put("hPre0", byAtom(Real.download(precision, weights.hTable, rows * f), z, f));
        t.put("x0", byAtom(Real.download(precision, weights.xTable, rows * 3 * f), z, 3 * f));
        t.put("v0", new double[3 * n * f]);
        if (lastElements > 0) {
            // layer 0 by elements: the sums and their adjoints, [N][L] and [N][3][L]
            int width = ElementKernels.width(lastElements, k);
            put(t, "elementP", elementBuffers.p, n * width);
            put(t, "elementQ", elementBuffers.q, 3 * n * width);
            put(t, "elementRA", elementBuffers.ra, n * width);
            put(t, "elementRB", elementBuffers.rb, 3 * n * width);
        }
        for (int l = 0; l <= layers; l++) {
            if (l > 0) {
                put(t, "s" + l, a.s[l], n * f);
                put(t, "v" + l, a.v[l], 3 * n * f);
                put(t, "gs" + l, a.gs[l], n * f);
                if (l < layers) {
                    put(t, "gv" + l, a.gv[l], 3 * n * f);
                    put(t, "hPre" + l, a.hPre[l], n * f);
                    put(t, "x" + l, a.x[l], 3 * n * f);
                }
            }
            if (l < layers) {
                put(t, "sMid" + l, a.sMid[l], n * f);
                put(t, "vMid" + l, a.vMid[l], 3 * n * f);
                put(t, "vu" + l, a.vu[l], 6 * n * f);
                put(t, "norm" + l, a.norm[l], n * f);
                put(t, "a3" + l, a.a3[l], n * f);
                put(t, "y" + l, a.y[l], 3 * n * f);
                put(t, "gsMid" + l, a.gsMid[l], n * f);
                put(t, "gvMid" + l, a.gvMid[l], 3 * n * f);
            }
        }
        t.put("gv" + layers, new double[3 * n * f]);
        double[] energies = new double[n];
        if (n > 0) {
            a.energies.download(energies);
        }
        t.put("energies", energies);
        return t;
    }

    private static double[] byAtom(double[] table, int[] z, int width) {
        double[] out = new double[z.length * width];
        for (int i = 0; i < z.length; i++) {
            System.arraycopy(table, z[i] * width, out, i * width, width);
        }
        return out;
    }

    private void put(Map<String, double[]> t, String name, DeviceBuffer b, int count) {
        t.put(name, Real.download(precision, b, count));
    }

    private static double[] ints(DeviceBuffer b, int count) {
        int[] v = new int[count];
        if (count > 0) {
            b.download(v);
        }
        double[] d = new double[count];
        for (int i = 0; i < count; i++) {
            d[i] = v[i];
        }
        return d;
    }

    @Override
    public void close() {
        cuda.makeCurrent();
        if (batch != null) {
            batch.close();
            batchOut.close();
        }
        if (list != null) {
            list.close();
            edges.close();
            atoms.close();
            if (elementBuffers != null) {
                elementBuffers.close();
            }
            hostIn.close();
            hostOut.close();
        }
        dropGraph();
        weights.close();
        if (fused != null) {
            fused.close();
        }
        branch.close();
        cuStreamDestroy(stream);
    }
}
