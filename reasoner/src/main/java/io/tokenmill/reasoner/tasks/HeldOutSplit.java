package io.tokenmill.reasoner.tasks;

/**
 * Which problems are held out from training: a fixed 1 in {@link #MODULUS} slice of the problem space,
 * chosen by a stable hash of (task, prompt). Training streams skip held-out problems and evaluation
 * streams keep only them, so the two are disjoint whatever seeds either uses.
 */
public final class HeldOutSplit {

  public static final int MODULUS = 10;

  private HeldOutSplit() {}

  public static boolean isHeldOut(Problem p) {
    return isHeldOut(p.task(), p.prompt());
  }

  public static boolean isHeldOut(String task, String prompt) {
    return Long.remainderUnsigned(hash(task, prompt), MODULUS) == 0;
  }

  /** FNV-1a over task, a separator and prompt, then a final mix (stable across JVMs and releases). */
  static long hash(String task, String prompt) {
    long h = 0xcbf29ce484222325L;
    String s = task + '\u0000' + prompt;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    return h;
  }
}
