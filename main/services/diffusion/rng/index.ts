export { TorchGenerator, type Shape } from './torch-generator';
export { randnTensor, type Generators } from './randn-tensor';
