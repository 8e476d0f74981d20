from .davis_metric import DAVISMetric
from .referring_davis_metric import ReferringDAVISMetric
from .referring_metric import ReferringMetric
from .vos_results_metric import VOSResultsMetric
from .youtube_vos_metric import YouTubeVOSMetric

__all__ = ['DAVISMetric', 'ReferringDAVISMetric', 'ReferringMetric', 'VOSResultsMetric',
           'YouTubeVOSMetric']
