"""Learning-rate schedules of the original codes that mmengine's schedulers do not reproduce."""
from mmengine.optim.scheduler import PolyLR
from mmengine.registry import PARAM_SCHEDULERS


@PARAM_SCHEDULERS.register_module()
class TorchvisionPolyLR(PolyLR):
    """Poly decay ``lr_0 * (1 - t / T) ** power`` over ``T = end - begin`` steps, as the
    torchvision segmentation reference's ``LambdaLR(lambda x: (1 - x / (len(loader) *
    epochs)) ** 0.9)`` that the original RefVOS trains with (train.py:263-266, 384-386).

    mmengine's ``PolyLR`` decays over ``end - begin - 1`` steps instead (it reaches
    ``eta_min`` at the last step), so its lr is lower at every step but the first; e.g. the
    second iteration of 210 gets 0.99569 x lr_0 rather than 0.99571 x lr_0. With
    ``convert_to_iter_based=True`` the epochs become iterations of the training loader.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.total_iters = self.end - self.begin
