package org.painn4j.md;

/**
 * Everything a run was started with that a restart needs to carry on exactly as the original run
 * would have: the physics ({@link MdSettings}, seed, replicas), where the atoms came from, which
 * model (by file and SHA-256), how far to go and where output goes. Paths are kept as given.
 *
 * @param model              the weights file
 * @param modelSha256        hex SHA-256 of the weights file, so a restart with another model is refused
 * @param input              the structure file the run started from (informational)
 * @param frames             which frame of it each replica started from (informational)
 * @param settings           time step, thermostat, temperature, friction
 * @param masses             where the masses came from: ASE's table or the input's masses column
 * @param seed               replica r uses seed + r
 * @param replicas           number of independent replicas
 * @param steps              the step number at which the run ends
 * @param interval           log and trajectory every this many steps (step 0 included)
 * @param checkpointInterval checkpoint every this many steps, and at the end
 * @param log                log file (before the replica suffix), or null for none
 * @param trajectory         trajectory file (before the replica suffix), or null for none
 * @param checkpoint         checkpoint file, or null for none
 * @param engine             what computed the run, e.g. {@code cpu float64}
 */
public record MdRunConfig(String model, String modelSha256, String input, int[] frames, MdSettings settings,
                          MassSource masses, long seed, int replicas, long steps, int interval, long checkpointInterval,
                          String log, String trajectory, String checkpoint, String engine) {

    public MdRunConfig {
        frames = frames.clone();
        if (masses == null) {
            throw new IllegalArgumentException("a mass source is required (table or input)");
        }
    }

    @Override
    public int[] frames() {
        return frames.clone();
    }

    public MdRunConfig withSteps(long newSteps) {
        return new MdRunConfig(model, modelSha256, input, frames, settings, masses, seed, replicas, newSteps, interval,
                checkpointInterval, log, trajectory, checkpoint, engine);
    }

    public MdRunConfig withOutput(int newInterval, long newCheckpointInterval, String newLog, String newTrajectory,
                                  String newCheckpoint, String newEngine) {
        return new MdRunConfig(model, modelSha256, input, frames, settings, masses, seed, replicas, steps, newInterval,
                newCheckpointInterval, newLog, newTrajectory, newCheckpoint, newEngine);
    }
}
