package org.painn4j.md;

/** How the momenta are coupled to a heat bath. */
public enum Thermostat {
    /** None: velocity Verlet, constant energy (NVE). */
    NONE("none"),
    /** Langevin dynamics integrated with BAOAB (constant temperature, NVT). */
    LANGEVIN("langevin");

    private final String key;

    Thermostat(String key) {
        this.key = key;
    }

    /** The name on the command line and in checkpoints. */
    public String key() {
        return key;
    }

    /** The thermostat of a name, or null when there is none of that name. */
    public static Thermostat of(String key) {
        for (Thermostat t : values()) {
            if (t.key.equals(key)) {
                return t;
            }
        }
        return null;
    }
}
