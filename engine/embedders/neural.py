NEURAL_BACKENDS = ()  # placeholder until the neural backends land
