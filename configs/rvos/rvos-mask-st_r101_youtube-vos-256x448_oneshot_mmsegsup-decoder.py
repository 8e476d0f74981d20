# Our RVOS-Mask-ST+ variant next to the thesis-exact config it inherits (same data, recipe and
# schedule): 3 ConvLSTM levels on x3..x5 (hidden 128/64/32) with 1x1 projections and a 1x1
# mask conv at stride 8, previous masks resized bilinear and binarised at inference, objects in
# slots in order of appearance (only the given ones run) and their mean sIoU over the clip's
# (frame, object) pairs. README "thesis-exact vs mmsegsup variant" names each difference.
_base_ = ['./rvos-mask-st_r101_youtube-vos-256x448_oneshot.py']
model = dict(head=dict(
    decoder=dict(_delete_=True, type='RecurrentMaskDecoder', hidden_channels=(128, 64, 32),
                 use_levels=(1, 2, 3), pooling=('max', )),
    protocol='mmsegsup'))
