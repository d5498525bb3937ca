package org.painn4j.cpu;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * A fixed team of threads for the CPU engine's parallel loops ({@link Parallel}), the caller one
 * of them. Why not a fork-join pool: a small molecule's evaluation is some forty loops of 50 to
 * 500 µs each, and a pool's parked worker takes tens of microseconds to wake for each (25 µs per
 * loop measured on two cores). The team's threads spin for a while after a loop, as OpenMP's do,
 * so the next loop starts within a microsecond; only then do they park.
 *
 * <p>Chunks are handed out by an atomic counter, so which thread runs a chunk varies; what a
 * chunk computes does not, so neither do the results. A loop started inside a chunk, or while
 * another thread uses the team, runs on the calling thread alone.
 */
final class Team implements AutoCloseable {
    /** How long an idle thread spins before it parks. */
    private static final long SPIN_NANOS = 100_000;

    private static final ThreadLocal<Team> CURRENT = new ThreadLocal<>();
    private static volatile Team shared;

    private final Worker[] workers;
    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicLong generation = new AtomicLong();
    private volatile Job job;
    private volatile boolean closed;
    /** A loop is running (guarded by lock): loops inside it run serially. */
    private boolean busy;

    Team(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        workers = new Worker[threads - 1];
        for (int i = 0; i < workers.length; i++) {
            workers[i] = new Worker(i);
            workers[i].start();
        }
    }

    /** The team of every core, shared by the calculators that were given no number of threads. */
    static Team shared() {
        Team t = shared;
        if (t == null) {
            synchronized (Team.class) {
                t = shared;
                if (t == null) {
                    t = new Team(Runtime.getRuntime().availableProcessors());
                    shared = t;
                }
            }
        }
        return t;
    }

    int threads() {
        return workers.length + 1;
    }

    /** The team loops of this thread run on, or null: serially. */
    static Team current() {
        return CURRENT.get();
    }

    /** Runs work with this team as the current thread's, for the loops inside it. */
    <T> T within(Supplier<T> work) {
        Team before = CURRENT.get();
        CURRENT.set(this);
        try {
            return work.get();
        } finally {
            if (before == null) {
                CURRENT.remove();
            } else {
                CURRENT.set(before);
            }
        }
    }

    /** Calls chunk.accept(c) for every c in [0, chunks), on the team when it is free. */
    void run(int chunks, IntConsumer chunk) {
        if (chunks > 1 && workers.length > 0 && !closed && lock.tryLock()) {
            try {
                if (!busy) {
                    busy = true;
                    try {
                        runOnTeam(chunks, chunk);
                    } finally {
                        busy = false;
                    }
                    return;
                }
            } finally {
                lock.unlock();
            }
        }
        for (int c = 0; c < chunks; c++) {
            chunk.accept(c);
        }
    }

    private void runOnTeam(int chunks, IntConsumer chunk) {
        Job j = new Job(chunks, chunk, Thread.currentThread());
        job = j;
        generation.incrementAndGet();
        // spinning threads see the loop by themselves; wake parked ones for the other chunks only,
        // not a whole many-core team for a loop of two chunks
        int woken = 0;
        for (int i = 0; i < workers.length && woken < chunks - 1; i++) {
            if (workers[i].parked) {
                LockSupport.unpark(workers[i]);
                woken++;
            }
        }
        j.work();
        // the chunks still running are the workers': spin a while, then sleep until the last one ends
        long start = System.nanoTime();
        while (j.done.get() < chunks) {
            if (System.nanoTime() - start < SPIN_NANOS) {
                Thread.onSpinWait();
            } else {
                LockSupport.park(this);
            }
        }
        job = null;  // nor keep what the loop's body holds alive until the next loop
        j.rethrow();
    }

    @Override
    public void close() {
        closed = true;
        for (Worker w : workers) {
            LockSupport.unpark(w);
        }
    }

    /** One loop: its chunks, the next to hand out, how many are done, the first failure. */
    private static final class Job {
        final int chunks;
        final IntConsumer chunk;
        /** The thread that started the loop, woken when the last chunk ends. */
        final Thread owner;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable failure;

        Job(int chunks, IntConsumer chunk, Thread owner) {
            this.chunks = chunks;
            this.chunk = chunk;
            this.owner = owner;
        }

        void work() {
            for (int c = next.getAndIncrement(); c < chunks; c = next.getAndIncrement()) {
                try {
                    chunk.accept(c);
                } catch (Throwable t) {
                    if (failure == null) {
                        failure = t;
                    }
                } finally {
                    if (done.incrementAndGet() == chunks) {
                        LockSupport.unpark(owner);
                    }
                }
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException r) {
                throw r;
            }
            if (t instanceof Error e) {
                throw e;
            }
            if (t != null) {
                throw new IllegalStateException(t);
            }
        }
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(int index) {
            super("painn4j-cpu-" + index);
            setDaemon(true);
        }

        @Override
        public void run() {
            long seen = 0;
            while (!closed) {
                long start = System.nanoTime();
                while (generation.get() == seen && !closed) {
                    if (System.nanoTime() - start < SPIN_NANOS) {
                        Thread.onSpinWait();
                    } else {
                        parked = true;
                        // a loop published after this check unparks us, so the park cannot miss it
                        if (generation.get() == seen && !closed) {
                            LockSupport.park(this);
                        }
                        parked = false;
                    }
                }
                if (closed) {
                    return;
                }
                seen = generation.get();
                Job j = job;
                if (j != null) {
                    j.work();
                }
            }
        }
    }
}
