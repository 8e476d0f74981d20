# Runtime of the video models: tracking visualiser, iteration logs.
_base_ = ['./default_runtime.py']
default_hooks = dict(visualization=dict(type='TrackVisualizationHook', draw=False))
visualizer = dict(type='TrackLocalVisualizer', vis_backends=[dict(type='LocalVisBackend')],
                  name='visualizer')
