package org.painn4j.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import org.painn4j.InputException;
import org.painn4j.gpu.GpuException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The painn4j command line. */
@Command(name = "painn4j", mixinStandardHelpOptions = true, versionProvider = Version.class,
        description = "PaiNN interatomic potentials: energies, forces and stress on the CPU (float64) "
                + "or an NVIDIA GPU (float32/float64).",
        subcommands = {MdCommand.class, EnergyCommand.class, InfoCommand.class, GradcheckCommand.class,
                BenchCommand.class, IpiCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {

    /** Exit code for bad input: a file, an option, a structure the model cannot take. */
    public static final int BAD_INPUT = 2;
    /** Exit code when the GPU cannot do the work: no device, out of memory, a failed kernel. */
    public static final int GPU_FAILURE = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required");
    }

    public static void main(String[] args) {
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; returns its exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new Main());
        // An empty path would be the working directory, and the error would name no file.
        cli.registerConverter(Path.class, text -> {
            if (text.isBlank()) {
                throw new CommandLine.TypeConversionException("'" + text + "' is no file name");
            }
            return Path.of(text);
        });
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler((ex, line, parsed) -> {
            if (ex instanceof InputException) {
                err.println("painn4j: " + ex.getMessage());
                return BAD_INPUT;
            }
            if (ex instanceof GpuException) {
                err.println("painn4j: GPU: " + ex.getMessage());
                return GPU_FAILURE;
            }
            err.println("painn4j: internal error (please report): " + ex);
            ex.printStackTrace(err);
            return 70;
        });
        // One line, as for every other user error; the hint rides along on it.
        cli.setParameterExceptionHandler((ex, a) -> {
            String message = ex.getMessage() == null ? ex.toString() : ex.getMessage().strip();
            message = message.lines().findFirst().orElse("").strip();
            if (message.endsWith(".")) {
                message = message.substring(0, message.length() - 1);
            }
            err.println("painn4j: " + message + "; see '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help'");
            return BAD_INPUT;
        });
        int code = cli.execute(args);
        out.flush();
        err.flush();
        return code;
    }
}
