package io.tokenmill.engine.reasoning;

import java.util.ArrayList;
import java.util.List;

/**
 * Test stand-in for the engine's scheduler and detokenizer: feeds a scripted stream of "sampled" ids
 * through a {@link ThinkingController} the way the engine must (EOS checked first and not passed in,
 * forced tokens appended without calling onToken, max_new_tokens over all output tokens), then decodes
 * with a toy vocabulary and builds the {@link ReasoningResult}. Lets tests check text and counts agree.
 */
final class ToyEngine {
  static final int NL = 0, NL2 = 1, LET = 2, ME = 3, THINK = 4, DOT = 5, THE = 6, ANSWER = 7, IS = 8, N42 = 9;
  static final int CONSIDER = 10, LIMITED = 11;
  static final int OPEN = 100, CLOSE = 101, EOS = 102;

  static final int[] TRANSITION = {NL2, CONSIDER, LIMITED};
  static final int[] AFTER = {NL2};

  static String piece(int id) {
    switch (id) {
      case NL: return "\n";
      case NL2: return "\n\n";
      case LET: return "Let";
      case ME: return " me";
      case THINK: return " think";
      case DOT: return ".";
      case THE: return "The";
      case ANSWER: return " answer";
      case IS: return " is";
      case N42: return " 42";
      case CONSIDER: return "Considering the limited time,";
      case LIMITED: return " I answer now.\n";
      case OPEN: return "<think>";
      case CLOSE: return "</think>";
      default: throw new IllegalArgumentException("no piece for " + id);
    }
  }

  static String decode(List<Integer> ids) {
    StringBuilder sb = new StringBuilder();
    for (int id : ids) sb.append(piece(id));
    return sb.toString();
  }

  /** Outcome of one simulated sequence. */
  record Run(List<Integer> output, List<Decision> decisions, boolean stopped, boolean hitLength,
      ParsedOutput parsed, ReasoningResult result) {}

  static Run run(ThinkingController c, ReasoningFormat format, boolean thinkingEnabled, boolean startsInside,
      int maxNewTokens, int... sampled) {
    List<Integer> out = new ArrayList<>();
    List<Decision> decisions = new ArrayList<>();
    boolean stopped = false;
    boolean length = false;
    for (int t : sampled) {
      if (out.size() >= maxNewTokens) {
        length = true;
        break;
      }
      if (t == EOS) {
        stopped = true;
        break;
      }
      out.add(t);
      Decision d = c.onToken(t);
      decisions.add(d);
      if (d.kind() == Decision.Kind.FORCE) {
        for (int f : d.forcedTokens()) {
          if (out.size() < maxNewTokens) out.add(f);
        }
      } else if (d.kind() == Decision.Kind.STOP) {
        length = true;
        break;
      }
    }
    if (!stopped && !length) length = true; // script exhausted: treat as max_new_tokens
    ParsedOutput p = ReasoningParser.parse(decode(out), format, thinkingEnabled, startsInside);
    return new Run(out, decisions, stopped, length, p, ReasoningResult.of(p, c, stopped, length));
  }

  private ToyEngine() {}
}
