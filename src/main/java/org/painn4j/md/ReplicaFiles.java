package org.painn4j.md;

import java.nio.file.Path;

/**
 * File names of replicas: with more than one replica, replica r writes {@code NAME.rR.EXT} for
 * {@code NAME.EXT} ({@code md.log} → {@code md.r0.log}, {@code md.r1.log}, …), or
 * {@code NAME.rR} when the name has no extension. A single replica uses the name as given.
 */
public final class ReplicaFiles {
    private ReplicaFiles() {
    }

    public static Path path(Path base, int replica, int replicas) {
        if (replicas == 1) {
            return base;
        }
        String name = base.getFileName().toString();
        int dot = name.lastIndexOf('.');
        // A leading dot (".log") marks a hidden file, not an extension.
        String renamed = dot > 0 ? name.substring(0, dot) + ".r" + replica + name.substring(dot)
                : name + ".r" + replica;
        return base.resolveSibling(renamed);
    }
}
