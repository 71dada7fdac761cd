/*
 * model_settings.h - what the model reader (model.c) and writer
 * (model_write.c) share: the floats that configure training, in their
 * order in the format.  Private to src/formats/.
 */
#ifndef NN_MODEL_SETTINGS_H
#define NN_MODEL_SETTINGS_H

#include "kernels/network.h"

#define N_SETTINGS 13

/* point f at net's settings floats, in their order in the format */
void		nn_model_setting_fields(NNNet *net, float *f[N_SETTINGS]);

#endif
