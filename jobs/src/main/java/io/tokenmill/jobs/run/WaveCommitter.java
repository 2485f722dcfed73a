package io.tokenmill.jobs.run;

import java.io.IOException;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stages one wave, checks the staged rows against the keys the wave owes ({@link WaveKeys}) and only then
 * commits it (the atomic rename of {@link OutputStore#commit}); a wave that fails the check is thrown away
 * and generated again, up to {@code job.wave_retries} times, after which the run fails with nothing of that
 * wave visible. Both runners commit through this, so a lost or repeated row cannot reach {@code rows/}.
 */
public final class WaveCommitter {

  /** Generates the wave's rows into a staging directory (one call per attempt). */
  public interface Stage {
    void write(String stagingDir, int attempt) throws IOException;
  }

  /** The {@link WaveKeys} problems of what is staged (empty = exactly the owed keys). */
  public interface Check {
    List<String> problems(String stagingDir) throws IOException;
  }

  private WaveCommitter() {}

  /** Stages, checks and commits wave {@code wave} of {@code waves}; returns the attempts it took minus one. */
  public static int commit(OutputStore store, JobSettings s, int wave, int waves, Stage stage, Check check,
      Consumer<String> log) throws IOException {
    String waveDir = OutputLayout.waveDirName(s.runId(), wave);
    int retries = s.waveRetries();
    for (int attempt = 0; ; attempt++) {
      store.discardStaging(waveDir);
      stage.write(store.stagingDir(waveDir), attempt);
      String damage = s.fault().stagingDamage(wave, attempt);
      if (damage != null) store.damageStaging(waveDir, damage);
      List<String> problems = check.problems(store.stagingDir(waveDir));
      if (problems.isEmpty()) {
        store.commit(waveDir);
        return attempt;
      }
      store.discardStaging(waveDir);
      String what = "wave " + (wave + 1) + "/" + waves + ": the staged rows are not exactly the (id, sample) keys"
          + " it owes (" + WaveKeys.describe(problems) + ")";
      if (attempt >= retries) {
        throw new WaveKeys.Mismatch(what + "; gave up after " + (attempt + 1) + " attempt(s) (job.wave_retries = "
            + retries + "); nothing of this wave was committed and a resume run generates it again");
      }
      log.accept(what + "; discarded, generating the wave again");
    }
  }
}
