// Fluent tensor methods (x.add(y).mul(2)) that forward to the graph's op builder.
import type { DType } from './shape';
import type { OpBuilder, Operand } from './builder';
import type { Tensor } from './graph';

export abstract class TensorMethods {
  abstract readonly graph: OpBuilder;

  private get self(): Tensor {
    return this as unknown as Tensor;
  }

  add(y: Operand): Tensor {
    return this.graph.add(this.self, y);
  }
  sub(y: Operand): Tensor {
    return this.graph.sub(this.self, y);
  }
  mul(y: Operand): Tensor {
    return this.graph.mul(this.self, y);
  }
  div(y: Operand): Tensor {
    return this.graph.div(this.self, y);
  }
  pow(y: Operand): Tensor {
    return this.graph.pow(this.self, y);
  }
  neg(): Tensor {
    return this.graph.neg(this.self);
  }
  exp(): Tensor {
    return this.graph.exp(this.self);
  }
  log(): Tensor {
    return this.graph.log(this.self);
  }
  sqrt(): Tensor {
    return this.graph.sqrt(this.self);
  }
  sigmoid(): Tensor {
    return this.graph.sigmoid(this.self);
  }
  tanh(): Tensor {
    return this.graph.tanh(this.self);
  }
  matmul(y: Tensor): Tensor {
    return this.graph.matmul(this.self, y);
  }
  reshape(shape: readonly number[]): Tensor {
    return this.graph.reshape(this.self, shape);
  }
  transpose(perm: readonly number[]): Tensor {
    return this.graph.transpose(this.self, perm);
  }
  unsqueeze(axes: readonly number[]): Tensor {
    return this.graph.unsqueeze(this.self, axes);
  }
  squeeze(axes: readonly number[]): Tensor {
    return this.graph.squeeze(this.self, axes);
  }
  cast(to: DType): Tensor {
    return this.graph.cast(this.self, to);
  }
  softmax(axis = -1): Tensor {
    return this.graph.softmax(this.self, axis);
  }
  sum(axes: readonly number[], keepdims = false): Tensor {
    return this.graph.sum(this.self, axes, keepdims);
  }
  mean(axes: readonly number[], keepdims = false): Tensor {
    return this.graph.mean(this.self, axes, keepdims);
  }
  max(axes: readonly number[], keepdims = false): Tensor {
    return this.graph.max(this.self, axes, keepdims);
  }
}
