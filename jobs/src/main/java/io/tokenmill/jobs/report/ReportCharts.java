package io.tokenmill.jobs.report;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.category.BoxAndWhiskerRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.statistics.DefaultBoxAndWhiskerCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * report.html's charts, drawn with JFreeChart (headless AWT) and returned as PNG bytes. Each method takes
 * plain numbers, so the same charts serve the Spark runner, the Arrow runner and the budget sweep.
 */
public final class ReportCharts {

  static final int WIDTH = 860;
  static final int HEIGHT = 420;

  static {
    // charts are drawn on the driver, which may have no display: never try to open one
    if (System.getProperty("java.awt.headless") == null) System.setProperty("java.awt.headless", "true");
  }

  private ReportCharts() {}

  /** Box plots of reasoning and answer tokens per row, for correct, wrong and unjudged (no reference) rows. */
  public static byte[] tokensByOutcome(List<ReportRows.TokenRow> rows) throws IOException {
    Map<ReportRows.Outcome, List<Integer>> reasoning = new EnumMap<>(ReportRows.Outcome.class);
    Map<ReportRows.Outcome, List<Integer>> answer = new EnumMap<>(ReportRows.Outcome.class);
    for (ReportRows.TokenRow r : rows) {
      reasoning.computeIfAbsent(r.outcome(), k -> new ArrayList<>()).add(r.reasoningTokens());
      answer.computeIfAbsent(r.outcome(), k -> new ArrayList<>()).add(r.answerTokens());
    }
    DefaultBoxAndWhiskerCategoryDataset data = new DefaultBoxAndWhiskerCategoryDataset();
    for (ReportRows.Outcome o : ReportRows.Outcome.values()) {
      if (!reasoning.containsKey(o)) continue;
      String category = label(o) + " (" + reasoning.get(o).size() + " rows)";
      data.add(reasoning.get(o), "reasoning tokens", category);
      data.add(answer.get(o), "answer tokens", category);
    }
    JFreeChart chart = ChartFactory.createBoxAndWhiskerChart("Tokens per row: reasoning vs answer", null,
        "tokens per row", data, true);
    BoxAndWhiskerRenderer renderer = (BoxAndWhiskerRenderer) chart.getCategoryPlot().getRenderer();
    renderer.setMeanVisible(false); // JFreeChart draws the mean as a disc as wide as the box, hiding the median
    renderer.setMaximumBarWidth(0.12);
    renderer.setSeriesPaint(0, new Color(0x4C72B0));
    renderer.setSeriesPaint(1, new Color(0xDD8452));
    style(chart);
    return png(chart);
  }

  /** Accuracy (%) per value of the grouping column, labelled with each group's row count. */
  public static byte[] accuracyByGroup(String column, Map<String, ReportRows.Accuracy> groups) throws IOException {
    DefaultCategoryDataset data = new DefaultCategoryDataset();
    groups.forEach((g, a) -> data.addValue(100 * a.value(), "accuracy", g + " (" + a.withReference() + ")"));
    JFreeChart chart = ChartFactory.createBarChart("Accuracy by " + column, column + " (rows with a reference)",
        "accuracy (%)", data, PlotOrientation.VERTICAL, false, false, false);
    CategoryPlot plot = chart.getCategoryPlot();
    ((NumberAxis) plot.getRangeAxis()).setRange(0, 100);
    plot.getRenderer().setSeriesPaint(0, new Color(0x55A868));
    style(chart);
    return png(chart);
  }

  /**
   * Output tokens per second over the generation phase, each point over the preceding {@code windowSeconds}
   * (Spark's counters move with executor heartbeats, so a shorter window only shows their rhythm), with the
   * phase's mean as a line.
   */
  public static byte[] throughput(List<ThroughputTimeline.Point> points, double windowSeconds) throws IOException {
    XYSeries rate = new XYSeries("output tokens/s (over " + (int) windowSeconds + " s)");
    int from = 0;
    for (int i = 1; i < points.size(); i++) {
      ThroughputTimeline.Point p = points.get(i);
      while (from < i - 1 && p.seconds() - points.get(from + 1).seconds() >= windowSeconds) from++;
      ThroughputTimeline.Point q = points.get(from);
      double dt = p.seconds() - q.seconds();
      if (dt <= 0) continue;
      double r = (p.tokens() - q.tokens()) / dt;
      // the first window's rate also holds at its start, so the line spans the whole phase (a run shorter
      // than a couple of samples is otherwise a dot or a stub at the right edge)
      if (rate.getItemCount() == 0) rate.add(q.seconds(), r);
      rate.add(p.seconds(), r);
    }
    XYSeriesCollection data = new XYSeriesCollection(rate);
    JFreeChart chart = ChartFactory.createXYLineChart("Throughput over the generation phase",
        "seconds since the first wave started", "output tokens/s", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    if (!points.isEmpty()) {
      ThroughputTimeline.Point last = points.get(points.size() - 1);
      if (last.seconds() > 0) {
        ValueMarker mean = new ValueMarker(last.tokens() / last.seconds());
        mean.setPaint(Color.GRAY);
        mean.setLabel(String.format("mean %.1f tok/s", last.tokens() / last.seconds()));
        mean.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
        mean.setLabelAnchor(org.jfree.chart.ui.RectangleAnchor.TOP_LEFT);
        // behind the series: a run within one sample has a single rate, equal to the mean, and its line
        // would otherwise be hidden under the marker
        plot.addRangeMarker(mean, org.jfree.chart.ui.Layer.BACKGROUND);
      }
    }
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, rate.getItemCount() <= 30); // short runs: dots
    renderer.setSeriesPaint(0, new Color(0x4C72B0));
    renderer.setSeriesStroke(0, new java.awt.BasicStroke(2f));
    plot.setRenderer(renderer);
    style(chart);
    return png(chart);
  }

  /** Accuracy (%) against the thinking budget (tokens), one line per series (e.g. per task). */
  public static byte[] accuracyVsBudget(Map<String, Map<Long, ReportRows.Accuracy>> series) throws IOException {
    XYSeriesCollection data = new XYSeriesCollection();
    series.forEach((name, points) -> {
      XYSeries s = new XYSeries(name);
      points.forEach((budget, a) -> s.add(budget.doubleValue(), 100 * a.value()));
      data.addSeries(s);
    });
    JFreeChart chart = ChartFactory.createXYLineChart("Accuracy vs thinking budget", "thinking budget (tokens)",
        "accuracy (%)", data, PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    ((NumberAxis) plot.getRangeAxis()).setRange(0, 100);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
    plot.setRenderer(renderer);
    style(chart);
    return png(chart);
  }

  private static String label(ReportRows.Outcome o) {
    return switch (o) {
      case CORRECT -> "correct";
      case WRONG -> "wrong";
      case NO_REFERENCE -> "no reference";
    };
  }

  private static void style(JFreeChart chart) {
    chart.setBackgroundPaint(Color.WHITE);
    chart.getPlot().setBackgroundPaint(new Color(0xF7F7F7));
  }

  private static byte[] png(JFreeChart chart) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ChartUtils.writeChartAsPNG(out, chart, WIDTH, HEIGHT);
    return out.toByteArray();
  }
}
