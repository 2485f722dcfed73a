package io.tokenmill.jobs.report;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The throughput chart draws its series visibly, whatever the run's length. */
class ReportChartsTest {

  private static final int SERIES_BLUE = 0x4C72B0;

  /**
   * A run that finishes within one sample has two points, start and end: its one rate equals the mean,
   * so the series lies on the mean marker. The series must be drawn over the marker, not hidden under it
   * (clean-clone CI's Spark run with a warm engine cache finished that fast and its chart showed no line).
   */
  @Test
  void aRunShorterThanOneSampleStillShowsItsLine() throws Exception {
    List<ThroughputTimeline.Point> points = List.of(new ThroughputTimeline.Point(0, 0, 0),
        new ThroughputTimeline.Point(0.8, 12, 144));
    assertTrue(blue(ReportCharts.throughput(points, 5)) > 300, "the rate line is hidden");
  }

  @Test
  void aLongerRunShowsItsLine() throws Exception {
    List<ThroughputTimeline.Point> points = List.of(new ThroughputTimeline.Point(0, 0, 0),
        new ThroughputTimeline.Point(1, 2, 30), new ThroughputTimeline.Point(2, 5, 80),
        new ThroughputTimeline.Point(3, 9, 120), new ThroughputTimeline.Point(4, 12, 144));
    assertTrue(blue(ReportCharts.throughput(points, 2)) > 300, "the rate line is hidden");
  }

  private static long blue(byte[] png) throws Exception {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(png));
    return ReportHtml.pixels(img, SERIES_BLUE);
  }
}
