package io.tokenmill.jobs.report;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * A self-contained HTML page: headings, PNG charts embedded as base64 {@code data:} URIs, notes and
 * key/value tables. No scripts, stylesheets or images from elsewhere: the file can be mailed or opened
 * offline.
 */
public final class HtmlReport {

  private final String title;
  private final String subtitle;
  private final List<String> sections = new ArrayList<>();

  public HtmlReport(String title, String subtitle) {
    this.title = title;
    this.subtitle = subtitle;
  }

  /** A chart with a caption under it. */
  public HtmlReport chart(String heading, String caption, byte[] png) {
    sections.add("<section><h2>" + esc(heading) + "</h2>\n<img alt=\"" + esc(heading) + "\" width=\""
        + ReportCharts.WIDTH + "\" height=\"" + ReportCharts.HEIGHT + "\" src=\"data:image/png;base64,"
        + Base64.getEncoder().encodeToString(png) + "\">\n<p class=\"caption\">" + esc(caption) + "</p></section>");
    return this;
  }

  /** Why a chart is not there (no rows with a reference, no grouping column, ...). */
  public HtmlReport note(String heading, String text) {
    sections.add("<section><h2>" + esc(heading) + "</h2>\n<p class=\"note\">" + esc(text) + "</p></section>");
    return this;
  }

  /** A two-column table. */
  public HtmlReport table(String heading, List<String[]> rows) {
    StringBuilder b = new StringBuilder("<section><h2>").append(esc(heading)).append("</h2>\n<table>\n");
    for (String[] r : rows) {
      b.append("<tr><th>").append(esc(r[0])).append("</th><td>").append(esc(r[1])).append("</td></tr>\n");
    }
    sections.add(b.append("</table></section>").toString());
    return this;
  }

  public String html() {
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>" + esc(title) + "</title>\n"
        + "<style>body{font-family:sans-serif;margin:2em auto;max-width:920px;color:#222}"
        + "h1{font-size:1.5em}h2{font-size:1.15em;margin-top:1.6em}.sub{color:#666}"
        + "table{border-collapse:collapse}th,td{text-align:left;padding:2px 10px;border-bottom:1px solid #ddd;"
        + "font-size:.9em;vertical-align:top}th{font-weight:normal;color:#555;white-space:nowrap}"
        + "td{font-family:monospace;word-break:break-all}.caption,.note{color:#555;font-size:.9em}"
        + "img{max-width:100%;height:auto}</style>\n</head><body>\n<h1>" + esc(title) + "</h1>\n<p class=\"sub\">"
        + esc(subtitle) + "</p>\n" + String.join("\n", sections) + "\n</body></html>\n";
  }

  static String esc(String s) {
    if (s == null) return "";
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }
}
