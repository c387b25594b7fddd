"""Reports: the digest, /stats, the chart and the export."""
