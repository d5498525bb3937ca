package org.painn4j.cli;

import java.io.PrintWriter;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.painn4j.InputException;
import org.painn4j.calc.Calculator;
import org.painn4j.ipi.Endpoint;
import org.painn4j.ipi.IpiClient;
import org.painn4j.model.PainnModel;
import org.painn4j.structure.ExtXyz;
import org.painn4j.structure.Structure;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** painn4j ipi: a force client for i-PI, ASE's SocketIOCalculator and anything else speaking the i-PI protocol. */
@Command(name = "ipi", mixinStandardHelpOptions = true, versionProvider = Version.class,
        header = "Energies, forces and virials for an i-PI server (i-PI, ASE, LAMMPS) over a socket.",
        description = {"Connects to an i-PI protocol server (i-PI, ASE's SocketIOCalculator) and",
                "answers its positions with energy, forces and virial until the server sends",
                "EXIT or closes the connection. The template gives the species, their order",
                "and pbc; the server sends positions and cell. Without --unix, connects over",
                "TCP (default localhost:31415). See docs/ipi.md."})
final class IpiCommand implements Callable<Integer> {
    @Mixin
    ModelOption model;

    @Option(names = "--input", required = true, paramLabel = "template.extxyz",
            description = "Atoms in the server's order, with pbc; its first frame is used, its positions are not.")
    Path input;

    @Option(names = "--unix", paramLabel = "NAME",
            description = "Connect to the unix socket /tmp/ipi_NAME (i-PI's and ASE's naming); an absolute path is used as it is.")
    String unix;

    @Option(names = "--host", paramLabel = "H", description = "Connect over TCP to this host. Default: localhost.")
    String host;

    @Option(names = "--port", paramLabel = "P", description = "TCP port. Default: 31415.")
    Integer port;

    @Option(names = "--timeout", paramLabel = "s", defaultValue = "600",
            description = "Give up when the server sends nothing for this long, between or within messages; 0 waits forever. Default: ${DEFAULT-VALUE}.")
    double timeout;

    @Option(names = "--connect-timeout", paramLabel = "s", defaultValue = "30",
            description = "Keep trying to connect for this long while the server is not yet listening. Default: ${DEFAULT-VALUE}.")
    double connectTimeout;

    @Mixin
    EngineOptions engine;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Endpoint endpoint = endpoint();
        if (!(timeout >= 0) || Double.isInfinite(timeout)) {
            throw new InputException("--timeout must be a number of seconds >= 0, got " + timeout);
        }
        if (!(connectTimeout >= 0) || Double.isInfinite(connectTimeout)) {
            throw new InputException("--connect-timeout must be a number of seconds >= 0, got " + connectTimeout);
        }
        Structure template = template();
        PainnModel m = model.load();
        checkSpecies(template, m);
        PrintWriter err = spec.commandLine().getErr();
        try (Calculator calc = engine.open(m, err)) {
            SocketChannel channel = endpoint.connect(connectTimeout);
            err.printf(Locale.ROOT, "painn4j: connected to %s; %d atoms from %s, %s%n",
                    endpoint.describe(), template.size(), input, calc.describe());
            err.flush();
            IpiClient.Summary s;
            try {
                s = new IpiClient(calc, template).serve(channel, timeout);
            } catch (InputException e) {
                throw new InputException(endpoint.describe() + ": " + e.getMessage(), e);
            }
            err.printf(Locale.ROOT, "painn4j: %d evaluation%s%s; %s%n", s.evaluations(), s.evaluations() == 1 ? "" : "s",
                    s.evaluations() == 0 ? "" : String.format(Locale.ROOT, ", %.2f ms each", s.computeNanos() / 1e6 / s.evaluations()),
                    s.exitReceived() ? "the server sent EXIT" : "the server closed the connection");
        }
        return 0;
    }

    private Endpoint endpoint() {
        if (unix != null) {
            if (host != null || port != null) {
                throw new InputException("--unix and --host/--port exclude each other: give one socket");
            }
            return Endpoint.unix(unix);
        }
        return Endpoint.tcp(host == null ? "localhost" : host, port == null ? Endpoint.DEFAULT_PORT : port);
    }

    private Structure template() {
        try (ExtXyz.FrameReader in = ExtXyz.open(input)) {
            return in.next().structure(); // InputException for a file without frames
        }
    }

    private void checkSpecies(Structure template, PainnModel m) {
        for (int i = 0; i < template.size(); i++) {
            int z = template.number(i);
            if (z < 1 || z > m.maxAtomicNumber()) {
                throw new InputException(input + ": atom " + i + " has atomic number " + z
                        + ", outside the model's embedding table (1.." + m.maxAtomicNumber() + ")");
            }
        }
    }
}
