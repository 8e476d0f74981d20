from .davis_metric import DAVISMetric
from .vos_results_metric import VOSResultsMetric
from .youtube_vos_metric import YouTubeVOSMetric

__all__ = ['DAVISMetric', 'VOSResultsMetric', 'YouTubeVOSMetric']
