"""The convolutional families: DeepBind and CNN_ZH on one-hot input."""
