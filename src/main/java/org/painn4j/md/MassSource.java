package org.painn4j.md;

/**
 * Where a run's masses come from: ASE's table of standard atomic masses (the default), or the
 * masses column of the input frame, which ASE writes for atoms whose masses were set (isotopes).
 */
public enum MassSource {
    /** ASE's standard atomic masses, {@link Masses#of}. */
    TABLE("table"),
    /** The input frame's {@code masses:R:1} column, {@link Masses#fromInput}. */
    INPUT("input");

    private final String key;

    MassSource(String key) {
        this.key = key;
    }

    /** The name on the command line and in checkpoints. */
    public String key() {
        return key;
    }

    /** The source of a name, or null when there is none of that name. */
    public static MassSource of(String key) {
        for (MassSource s : values()) {
            if (s.key.equals(key)) {
                return s;
            }
        }
        return null;
    }
}
