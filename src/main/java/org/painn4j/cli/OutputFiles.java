package org.painn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.painn4j.InputException;

/**
 * The files a command reads and the files it writes, checked before anything is written: an
 * output that is one of the inputs (under its own name or through a link) would destroy it, and
 * two outputs of one name would write over each other.
 */
final class OutputFiles {
    private record Named(String option, Path path) {
        @Override
        public String toString() {
            return option + " " + path;
        }
    }

    private final List<Named> inputs = new ArrayList<>();
    private final List<Named> outputs = new ArrayList<>();

    OutputFiles reads(String option, Path path) {
        if (path != null) {
            inputs.add(new Named(option, path));
        }
        return this;
    }

    OutputFiles writes(String option, Path path) {
        if (path != null) {
            outputs.add(new Named(option, path));
        }
        return this;
    }

    /** Refuses, with one line naming both options, the first output that is an input or another output. */
    void check() {
        for (int i = 0; i < outputs.size(); i++) {
            Named out = outputs.get(i);
            for (Named in : inputs) {
                if (same(out.path(), in.path())) {
                    throw new InputException(out + " is the same file as " + in
                            + "; it would be overwritten: give the output another name");
                }
            }
            for (int j = 0; j < i; j++) {
                if (same(outputs.get(j).path(), out.path())) {
                    throw new InputException(outputs.get(j) + " and " + out
                            + " are the same file; give each output its own name");
                }
            }
        }
    }

    private static boolean same(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) {
            return true;
        }
        if (!Files.exists(a) || !Files.exists(b)) {
            return false;
        }
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            // opening the file says what is wrong with it
            return false;
        }
    }
}
